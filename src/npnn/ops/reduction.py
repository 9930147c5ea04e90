"""Reductions over `dim` (PyTorch names; NumPy's `axis`/`keepdims` accepted too)."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.elementwise import abs as abs_
from npnn.ops.selection import maximum, minimum
from npnn.tensor_math import Dim


def _normalize_dim(dim: Dim, keepdim: bool, numpy_style: dict[str, Any]) -> tuple[Any, bool]:
    """Accept NumPy's axis=/keepdims= as aliases of dim=/keepdim=."""
    if "axis" in numpy_style:
        dim = numpy_style.pop("axis")
    if "keepdims" in numpy_style:
        keepdim = numpy_style.pop("keepdims")
    if numpy_style:
        raise TypeError(f"unexpected arguments {sorted(numpy_style)}")
    if isinstance(dim, list):
        dim = tuple(dim)
    if dim == ():  # an empty dim list reduces every dim, as in PyTorch
        dim = None
    return dim, bool(keepdim)


def _expand_like(grad_output, shape, dim, keepdim):
    """Reshape a reduced gradient so it broadcasts against the input of `shape`."""
    xp = backend.get_array_module(grad_output)
    if dim is None:
        grad_output = grad_output.reshape((1,) * len(shape))
    elif not keepdim:
        axes = (dim,) if isinstance(dim, int) else dim
        grad_output = xp.expand_dims(grad_output, tuple(a % len(shape) for a in axes))
    return xp.broadcast_to(grad_output, shape)


def _count(shape, dim) -> int:
    if dim is None:
        return math.prod(shape)
    axes = (dim,) if isinstance(dim, int) else dim
    return math.prod(shape[a] for a in axes)


class Sum(Function):
    def forward(self, a, dim=None, keepdim=False):
        self.shape, self.dim, self.keepdim = a.shape, dim, keepdim
        return a.sum(axis=dim, keepdims=keepdim)

    def backward(self, grad_output):
        return _expand_like(grad_output, self.shape, self.dim, self.keepdim)


def sum(input: Any, dim: Dim = None, keepdim: bool = False, **numpy_style: Any) -> Tensor:
    """Sum over `dim` (all dims by default)."""
    dim, keepdim = _normalize_dim(dim, keepdim, numpy_style)
    return Sum.apply(input, dim=dim, keepdim=keepdim)


class SumOfSquares(Function):
    def forward(self, a):
        self.a = a
        return backend.get_array_module(a).vdot(a, a)  # one BLAS dot, no squared temporary

    def backward(self, grad_output):
        return (2 * grad_output) * self.a


def sum_of_squares(input: Any) -> Tensor:
    """Σ x² over all elements, fused (the L2 penalty); d/dx = 2x."""
    return SumOfSquares.apply(input)


class Mean(Function):
    def forward(self, a, dim=None, keepdim=False):
        self.shape, self.dim, self.keepdim = a.shape, dim, keepdim
        return a.mean(axis=dim, keepdims=keepdim)

    def backward(self, grad_output):
        count = _count(self.shape, self.dim)
        return _expand_like(grad_output / count, self.shape, self.dim, self.keepdim)


def mean(input: Any, dim: Dim = None, keepdim: bool = False, **numpy_style: Any) -> Tensor:
    """Mean over `dim` (all dims by default)."""
    dim, keepdim = _normalize_dim(dim, keepdim, numpy_style)
    return Mean.apply(input, dim=dim, keepdim=keepdim)


class Var(Function):
    def forward(self, a, dim=None, keepdim=False, correction=1):
        self.shape, self.dim, self.keepdim = a.shape, dim, keepdim
        self.centered = a - a.mean(axis=dim, keepdims=True)
        count = _count(a.shape, dim)
        # no degrees of freedom left: nan (as PyTorch), in forward and backward alike
        self.divisor = count - correction if count > correction else 0
        squares = self.centered * self.centered
        with np.errstate(divide="ignore", invalid="ignore"):
            return squares.sum(axis=dim, keepdims=keepdim) / self.divisor

    def backward(self, grad_output):
        grad = _expand_like(grad_output, self.shape, self.dim, self.keepdim)
        scale = 2.0 / self.divisor if self.divisor else np.nan
        return grad * scale * self.centered


def var(input: Any, dim: Dim = None, keepdim: bool = False, *, correction: int = 1,
        unbiased: bool | None = None, **numpy_style: Any) -> Tensor:
    """Variance over `dim` with Bessel's correction by default (correction=1, as PyTorch)."""
    dim, keepdim = _normalize_dim(dim, keepdim, numpy_style)
    if unbiased is not None:
        correction = 1 if unbiased else 0
    return Var.apply(input, dim=dim, keepdim=keepdim, correction=correction)


class Std(Var):
    def forward(self, a, dim=None, keepdim=False, correction=1):
        xp = backend.get_array_module(a)
        self.std = xp.sqrt(super().forward(a, dim, True, correction))
        self.keepdim = keepdim
        if keepdim:
            return self.std
        return self.std.reshape(()) if dim is None else self.std.squeeze(axis=dim)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        grad = _expand_like(grad_output, self.shape, self.dim, self.keepdim)
        if not self.divisor:
            return grad * np.nan * self.centered
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = grad / (self.std * self.divisor)
        # a constant slice (std 0) gets gradient 0, not 0/0 (as PyTorch)
        return xp.where(self.std == 0, xp.zeros((), scale.dtype), scale) * self.centered


def std(input: Any, dim: Dim = None, keepdim: bool = False, *, correction: int = 1,
        unbiased: bool | None = None, **numpy_style: Any) -> Tensor:
    """Standard deviation, sqrt(var); where it is 0 the gradient is 0 (as PyTorch), not NaN."""
    dim, keepdim = _normalize_dim(dim, keepdim, numpy_style)
    if unbiased is not None:
        correction = 1 if unbiased else 0
    return Std.apply(input, dim=dim, keepdim=keepdim, correction=correction)


class Norm2(Function):
    def forward(self, a, dim=None, keepdim=False):
        xp = backend.get_array_module(a)
        self.a, self.shape, self.dim, self.keepdim = a, a.shape, dim, keepdim
        self.norm = xp.sqrt((a * a).sum(axis=dim, keepdims=True))
        if keepdim:
            return self.norm
        return self.norm.reshape(()) if dim is None else self.norm.squeeze(axis=dim)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        grad = _expand_like(grad_output, self.shape, self.dim, self.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = grad / self.norm
        # the zero vector gets gradient 0, not 0/0 (as PyTorch)
        return xp.where(self.norm == 0, xp.zeros((), scale.dtype), scale) * self.a


def norm(input: Any, p: Any = "fro", dim: Dim = None, keepdim: bool = False) -> Tensor:
    """Vector p-norm over `dim` (all elements by default): p = 2 ('fro'), 1, inf, -inf or any p > 0."""
    dim, keepdim = _normalize_dim(dim, keepdim, {})
    if p in ("fro", 2, 2.0):
        return Norm2.apply(input, dim=dim, keepdim=keepdim)
    if p == 1:
        return sum(abs_(input), dim, keepdim)
    if p == math.inf:
        return amax(abs_(input), dim, keepdim)
    if p == -math.inf:
        return amin(abs_(input), dim, keepdim)
    if isinstance(p, (int, float)) and p > 0:
        return sum(abs_(input) ** p, dim, keepdim) ** (1.0 / p)
    raise ValueError(f"norm: p must be 'fro', a number > 0, inf or -inf, got {p!r}")


class _Extreme(Function):
    """amax/amin: the gradient is split evenly between tied extreme elements."""

    reduce: str

    def forward(self, a, dim=None, keepdim=False):
        self.shape, self.dim, self.keepdim = a.shape, dim, keepdim
        out = getattr(a, self.reduce)(axis=dim, keepdims=True)
        self.mask = a == out
        return out if keepdim else (out.reshape(()) if dim is None else out.squeeze(axis=dim))

    def backward(self, grad_output):
        counts = self.mask.sum(axis=self.dim, keepdims=True, dtype=grad_output.dtype)
        grad = _expand_like(grad_output, self.shape, self.dim, self.keepdim)
        return grad * self.mask / counts


class AMax(_Extreme):
    reduce = "max"


class AMin(_Extreme):
    reduce = "min"


def amax(input: Any, dim: Dim = None, keepdim: bool = False, **numpy_style: Any) -> Tensor:
    """Maximum over `dim`; ties share the gradient evenly."""
    dim, keepdim = _normalize_dim(dim, keepdim, numpy_style)
    return AMax.apply(input, dim=dim, keepdim=keepdim)


def amin(input: Any, dim: Dim = None, keepdim: bool = False, **numpy_style: Any) -> Tensor:
    """Minimum over `dim`; ties share the gradient evenly."""
    dim, keepdim = _normalize_dim(dim, keepdim, numpy_style)
    return AMin.apply(input, dim=dim, keepdim=keepdim)


class ValuesIndices(NamedTuple):
    """What max/min over a dim return, as PyTorch's (values, indices)."""

    values: Tensor
    indices: Tensor


def max(input: Any, dim: Any = None, keepdim: bool = False, **numpy_style: Any) -> Any:
    """Max of all elements, (values, indices) over `dim`, or `maximum(input, other)` when the
    second argument is a tensor, as in PyTorch.

    Differs from PyTorch: with ties, the gradient is split between tied elements.
    """
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    dim, keepdim = _normalize_dim(dim, keepdim, numpy_style)
    if dim is None:
        return amax(input)
    return ValuesIndices(amax(input, dim, keepdim), argmax(input, dim, keepdim))


def min(input: Any, dim: Any = None, keepdim: bool = False, **numpy_style: Any) -> Any:
    """Min of all elements, (values, indices) over `dim`, or `minimum(input, other)`."""
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    dim, keepdim = _normalize_dim(dim, keepdim, numpy_style)
    if dim is None:
        return amin(input)
    return ValuesIndices(amin(input, dim, keepdim), argmin(input, dim, keepdim))


def argmax(input: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the maximum (of the flattened tensor if dim is None); no gradient."""
    data = to_tensor(input).array
    out = data.argmax(axis=dim, keepdims=keepdim) if dim is not None else data.argmax()
    return Tensor._from_op(out.astype(np.int64), None)


def argmin(input: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the minimum (of the flattened tensor if dim is None); no gradient."""
    data = to_tensor(input).array
    out = data.argmin(axis=dim, keepdims=keepdim) if dim is not None else data.argmin()
    return Tensor._from_op(out.astype(np.int64), None)
