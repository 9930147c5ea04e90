"""Reductions over `dim` (PyTorch names; NumPy's `axis`/`keepdims` accepted too)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from npnn import backend
from npnn.autograd.function import Function
from npnn.tensor import Tensor, as_tensor

Dim = int | Sequence[int] | None


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
        return int(np.prod(shape, dtype=np.int64))
    axes = (dim,) if isinstance(dim, int) else dim
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


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


def std(input: Any, dim: Dim = None, keepdim: bool = False, *, correction: int = 1,
        unbiased: bool | None = None, **numpy_style: Any) -> Tensor:
    """Standard deviation: sqrt(var)."""
    from npnn.ops.elementwise import sqrt

    return sqrt(var(input, dim, keepdim, correction=correction, unbiased=unbiased, **numpy_style))


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


def max(input: Any, dim: int | None = None, keepdim: bool = False, **numpy_style: Any) -> Any:
    """Max of all elements, or (values, indices) over `dim` as in PyTorch.

    Differs from PyTorch: with ties, the gradient is split between tied elements.
    """
    dim, keepdim = _normalize_dim(dim, keepdim, numpy_style)
    if dim is None:
        return amax(input)
    return ValuesIndices(amax(input, dim, keepdim), argmax(input, dim, keepdim))


def min(input: Any, dim: int | None = None, keepdim: bool = False, **numpy_style: Any) -> Any:
    """Min of all elements, or (values, indices) over `dim` as in PyTorch."""
    dim, keepdim = _normalize_dim(dim, keepdim, numpy_style)
    if dim is None:
        return amin(input)
    return ValuesIndices(amin(input, dim, keepdim), argmin(input, dim, keepdim))


def argmax(input: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the maximum (of the flattened tensor if dim is None); no gradient."""
    data = as_tensor(input).data
    out = data.argmax(axis=dim, keepdims=keepdim) if dim is not None else data.argmax()
    return Tensor._from_op(out.astype(np.int64), None)


def argmin(input: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the minimum (of the flattened tensor if dim is None); no gradient."""
    data = as_tensor(input).data
    out = data.argmin(axis=dim, keepdims=keepdim) if dim is not None else data.argmin()
    return Tensor._from_op(out.astype(np.int64), None)
