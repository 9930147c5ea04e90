"""More reductions with PyTorch's names: logsumexp, prod, nansum, median, std_mean, var_mean."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.elementwise import cast
from npnn.ops.reduction import ValuesIndices, _expand_like, _normalize_dim, mean, std, sum, var
from npnn.ops.selection import where
from npnn.ops.shape import _wrap_dim, gather, reshape
from npnn.ops.sorting import sort
from npnn.tensor_math import Dim


class LogSumExp(Function):
    def forward(self, a, dim=None, keepdim=False):
        xp = backend.get_array_module(a)
        self.a, self.shape, self.dim, self.keepdim = a, a.shape, dim, keepdim
        peak = a.max(axis=dim, keepdims=True) if a.size else xp.zeros((1,) * a.ndim, a.dtype)
        peak = xp.where(xp.isfinite(peak), peak, xp.zeros((), a.dtype))  # all -inf: stay -inf
        with np.errstate(divide="ignore"):
            self.out = xp.log(xp.exp(a - peak).sum(axis=dim, keepdims=True)) + peak  # shift for stability
        return self.out if keepdim else self.out.reshape(()) if dim is None else self.out.squeeze(dim)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        grad = _expand_like(grad_output, self.shape, self.dim, self.keepdim)
        return grad * xp.exp(self.a - self.out)  # softmax of a over dim


def logsumexp(input: Any, dim: Dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over `dim`, computed without overflow; integers give floats."""
    input = to_tensor(input)
    if input.dtype.kind in "biu":
        input = cast(input, backend.get_default_dtype())
    dim, keepdim = _normalize_dim(dim, keepdim, {})
    if isinstance(dim, int):
        dim = _wrap_dim(dim, input.ndim, "logsumexp")
    return LogSumExp.apply(input, dim=dim, keepdim=keepdim)


class Prod(Function):
    def forward(self, a, dim=None, keepdim=False):
        self.a, self.dim, self.keepdim = a, dim, keepdim
        return a.prod(axis=dim, keepdims=keepdim)

    def backward(self, grad_output):
        # the product of the others, from the products before and after each element:
        # exact where some element is zero, unlike out / a
        xp = backend.get_array_module(grad_output)
        a = self.a.reshape(-1) if self.dim is None else xp.moveaxis(self.a, self.dim, -1)
        ones = xp.ones_like(a[..., :1])
        before = xp.concatenate([ones, xp.cumprod(a[..., :-1], axis=-1)], axis=-1)
        after = xp.flip(xp.concatenate([ones, xp.cumprod(xp.flip(a, -1)[..., :-1], axis=-1)], axis=-1), -1)
        others = before * after
        others = others.reshape(self.a.shape) if self.dim is None else xp.moveaxis(others, -1, self.dim)
        return _expand_like(grad_output, self.a.shape, self.dim, self.keepdim) * others


def prod(input: Any, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The product of all elements, or over one `dim`; integers and bools give int64."""
    input = to_tensor(input)
    if dtype is not None:
        input = cast(input, dtype)
    elif input.dtype.kind in "biu":
        input = cast(input, np.int64)
    if dim is not None:
        dim = _wrap_dim(dim, input.ndim, "prod")
        if input.ndim == 0:
            dim = None
    elif keepdim:
        raise TypeError("prod(): dim=None takes no keepdim (PyTorch has no such overload)")
    return Prod.apply(input, dim=dim, keepdim=bool(keepdim))


def nansum(input: Any, dim: Dim = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """sum treating NaN as zero (NaN entries get gradient 0)."""
    input = to_tensor(input)
    if dtype is not None:
        input = cast(input, dtype)
    if input.dtype.kind == "f":
        input = where(Tensor(backend.get_array_module(input.array).isnan(input.array)), 0.0, input)
    elif input.dtype.kind in "biu":
        input = cast(input, np.int64)
    return sum(input, dim, keepdim)


class MedianAll(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        flat = a.reshape(-1)
        nan = xp.isnan(flat) if a.dtype.kind == "f" else xp.zeros(flat.shape, bool)
        if nan.any():  # NaN propagates, as PyTorch
            out = xp.asarray(xp.nan, a.dtype)
            self.mask = nan
        else:
            out = xp.sort(flat)[(flat.shape[0] - 1) // 2]
            self.mask = flat == out
        self.shape = a.shape
        return xp.asarray(out, a.dtype)

    def backward(self, grad_output):
        # PyTorch splits the gradient evenly over the elements equal to the median (all NaNs)
        share = self.mask / self.mask.sum()
        return (grad_output * share.astype(grad_output.dtype)).reshape(self.shape)


def median(input: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median of all elements (a 0-d tensor), or (values, indices) along `dim`.
    NaN propagates as PyTorch: a NaN in the input (or along `dim`) gives NaN and the index of
    the first NaN; with no `dim` the gradient is split evenly over the tied elements."""
    input = to_tensor(input)
    if dim is None:
        if input.numel() == 0:
            return Tensor(np.asarray(np.nan, dtype=input.dtype))
        return MedianAll.apply(input)
    dim = _wrap_dim(dim, input.ndim, "median")
    if input.ndim == 0:
        return ValuesIndices(input, Tensor(np.zeros((), dtype=np.int64)))
    length = input.shape[dim]
    if length == 0:
        raise IndexError(f"median(): Expected reduction dim {dim} to have non-zero size.")
    xp = backend.get_array_module(input.array)
    order = sort(input, dim).indices.array
    pick = order.take([(length - 1) // 2], axis=dim)
    if input.dtype.kind == "f":
        nan = xp.isnan(input.array)
        first_nan = xp.expand_dims(nan.argmax(axis=dim), dim)
        pick = xp.where(nan.any(axis=dim, keepdims=True), first_nan, pick)
    index = Tensor(pick)
    values = gather(input, dim, index)
    if not keepdim:
        values, index = reshape(values, *(s for d, s in enumerate(values.shape) if d != dim)), \
            Tensor(pick.squeeze(dim))
    return ValuesIndices(values, index)


def var_mean(input: Any, dim: Dim = None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: int | None = None) -> tuple[Tensor, Tensor]:
    """(var, mean) over `dim` (Bessel's correction by default, as PyTorch)."""
    correction = (1 if unbiased is None or unbiased else 0) if correction is None else correction
    return var(input, dim, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input: Any, dim: Dim = None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: int | None = None) -> tuple[Tensor, Tensor]:
    """(std, mean) over `dim` (Bessel's correction by default, as PyTorch)."""
    correction = (1 if unbiased is None or unbiased else 0) if correction is None else correction
    return std(input, dim, keepdim, correction=correction), mean(input, dim, keepdim)
