"""Running totals along a dim: cumsum, cumprod, cummax/cummin, and diff.

As PyTorch's, integer and bool inputs of cumsum/cumprod give int64 (unless `dtype=` says
otherwise); cummax/cummin pick the last position of a tie.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.elementwise import cast, sub
from npnn.ops.reduction import ValuesIndices
from npnn.ops.shape import _wrap_dim, cat, gather, getitem


def _reverse_cumsum(xp: Any, x: Any, axis: int) -> Any:
    return xp.flip(xp.cumsum(xp.flip(x, axis), axis=axis), axis)


def _prepared(input: Any, dim: int, dtype: Any, op: str) -> tuple[Tensor, int]:
    input = to_tensor(input)
    if dtype is not None:
        input = cast(input, dtype)
    elif input.dtype.kind in "biu":
        input = cast(input, np.int64)
    return input, _wrap_dim(dim, input.ndim, op)


class CumSum(Function):
    def forward(self, a, axis=0):
        self.axis = axis
        return backend.get_array_module(a).cumsum(a, axis=axis) if a.ndim else a.copy()

    def backward(self, grad_output):
        if grad_output.ndim == 0:
            return grad_output
        return _reverse_cumsum(backend.get_array_module(grad_output), grad_output, self.axis)


def cumsum(input: Any, dim: int, *, dtype: Any = None) -> Tensor:
    """out[i] = input[0] + ... + input[i] along `dim`."""
    input, dim = _prepared(input, dim, dtype, "cumsum")
    return CumSum.apply(input, axis=dim)


class CumProd(Function):
    def forward(self, a, axis=0):
        self.a, self.axis = a, axis
        self.out = backend.get_array_module(a).cumprod(a, axis=axis) if a.ndim else a.copy()
        return self.out

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        if grad_output.ndim == 0:
            return grad_output
        a, axis = self.a, self.axis
        if bool((a != 0).all()):  # d out_j / d a_k = out_j / a_k for j >= k
            return _reverse_cumsum(xp, grad_output * self.out, axis) / a
        # with zeros: out_j / a_k is the product of a_i (i <= j, i != k), taken directly
        moved = xp.moveaxis(a, axis, -1)
        grad_moved = xp.moveaxis(grad_output, axis, -1)
        grad = xp.empty_like(moved)
        for k in range(moved.shape[-1]):
            without = moved.copy()
            without[..., k] = 1
            partial = xp.cumprod(without, axis=-1)[..., k:]
            grad[..., k] = (partial * grad_moved[..., k:]).sum(axis=-1)
        return xp.moveaxis(grad, -1, axis)


def cumprod(input: Any, dim: int, *, dtype: Any = None) -> Tensor:
    """out[i] = input[0] * ... * input[i] along `dim` (gradients exact at zeros)."""
    input, dim = _prepared(input, dim, dtype, "cumprod")
    return CumProd.apply(input, axis=dim)


def _running_extreme(input: Tensor, dim: int, op: str, accumulate: str) -> ValuesIndices:
    input = to_tensor(input)
    dim = _wrap_dim(dim, input.ndim, op)
    if input.ndim == 0:
        return ValuesIndices(input, Tensor(np.zeros((), dtype=np.int64)))
    xp = backend.get_array_module(input.array)
    a = input.array
    running = getattr(xp, accumulate).accumulate(a, axis=dim)
    shape = [1] * a.ndim
    shape[dim] = -1
    positions = xp.arange(a.shape[dim]).reshape(shape)
    # the last position holding the running extreme: later holders have larger indices; as
    # PyTorch, NaN propagates and each NaN becomes the holder
    holds = a == running
    if a.dtype.kind == "f":
        holds |= xp.isnan(a)
    indices = xp.maximum.accumulate(xp.where(holds, positions, 0), axis=dim).astype(np.int64)
    index = Tensor(indices)
    return ValuesIndices(gather(input, dim, index), index)


def cummax(input: Any, dim: int) -> ValuesIndices:
    """(values, indices): the running maximum along `dim` and where it was reached (the last
    holder on ties; NaN propagates, as PyTorch)."""
    return _running_extreme(input, dim, "cummax", "maximum")


def cummin(input: Any, dim: int) -> ValuesIndices:
    """(values, indices): the running minimum along `dim` and where it was reached (the last
    holder on ties; NaN propagates, as PyTorch)."""
    return _running_extreme(input, dim, "cummin", "minimum")


def diff(input: Any, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
    """The n-th forward difference along `dim`, after `prepend`/`append` are joined on."""
    input = to_tensor(input)
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    dim = _wrap_dim(dim, input.ndim, "diff")
    parts = [to_tensor(p, like=(input,)) for p in (prepend, input, append) if p is not None]
    out = cat(parts, dim) if len(parts) > 1 else input
    prefix = (slice(None),) * dim
    for _ in range(n):
        if out.shape[dim] == 0:
            break
        later, earlier = getitem(out, (*prefix, slice(1, None))), getitem(out, (*prefix, slice(None, -1)))
        out = Tensor(later.array != earlier.array) if out.dtype == np.bool_ else sub(later, earlier)
    return out
