"""More of `torch.Tensor`'s op methods, mixed into Tensor: views, running totals, triangles,
reductions, selections, products, elementwise math and random draws.

Each calls its op function in `npnn.ops` through `self._ops`, which Tensor answers with the
module it imports at the bottom of `_tensor.py` (the core's one upward import), so this
module imports nothing above the tensor layer. (Layout facts, in-place reshapes and fills,
and hooks are in tensor_memory.py.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


class TensorOpMethods:
    """Mixed into Tensor, its one subclass."""

    array: Any
    grad_fn: Any
    requires_grad: bool
    shape: tuple[int, ...]
    dtype: np.dtype
    _ops: Any
    _update_: Callable[..., Any]

    # ----- shapes taken from another tensor, and views -----
    def expand_as(self, other: Any) -> Any:
        return self._ops.expand(self, *other.shape)

    def view_as(self, other: Any) -> Any:
        return self._ops.reshape(self, *other.shape)

    def reshape_as(self, other: Any) -> Any:
        return self._ops.reshape(self, *other.shape)

    def broadcast_to(self, *size: Any) -> Any:
        """As PyTorch's method: a size (tuple) or separate ints."""
        return self._ops.broadcast_to(self, size[0] if len(size) == 1 else size)

    def movedim(self, source: Any, destination: Any) -> Any:
        return self._ops.movedim(self, source, destination)

    moveaxis = movedim

    def swapaxes(self, axis0: int, axis1: int) -> Any:
        return self._ops.transpose(self, axis0, axis1)

    swapdims = swapaxes

    def narrow(self, dim: int, start: int, length: int) -> Any:
        return self._ops.narrow(self, dim, start, length)

    def unflatten(self, dim: int, sizes: Any) -> Any:
        return self._ops.unflatten(self, dim, sizes)

    def tensor_split(self, indices_or_sections: Any, dim: int = 0) -> Any:
        return self._ops.tensor_split(self, indices_or_sections, dim)

    def flip(self, *dims: Any, **keyword: Any) -> Any:
        """x.flip(0, 1), x.flip([0, 1]) or x.flip(dims=[0, 1])."""
        return self._ops.flip(self, _sizes(dims, keyword, "flip"))

    def roll(self, shifts: Any, dims: Any = None) -> Any:
        return self._ops.roll(self, shifts, dims)

    def tile(self, *dims: Any, **keyword: Any) -> Any:
        """x.tile(2, 1), x.tile((2, 1)) or x.tile(dims=(2, 1))."""
        return self._ops.tile(self, _sizes(dims, keyword, "tile"))

    def repeat_interleave(self, repeats: Any, dim: int | None = None, *,
                          output_size: int | None = None) -> Any:
        return self._ops.repeat_interleave(self, repeats, dim, output_size=output_size)

    # ----- running totals, triangles, diagonals -----
    def cumsum(self, dim: int, *, dtype: Any = None) -> Any:
        return self._ops.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim: int, *, dtype: Any = None) -> Any:
        return self._ops.cumprod(self, dim, dtype=dtype)

    def cummax(self, dim: int) -> Any:
        return self._ops.cummax(self, dim)

    def cummin(self, dim: int) -> Any:
        return self._ops.cummin(self, dim)

    def diff(self, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Any:
        return self._ops.diff(self, n, dim, prepend, append)

    def tril(self, diagonal: int = 0) -> Any:
        return self._ops.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Any:
        return self._ops.triu(self, diagonal)

    def diag(self, diagonal: int = 0) -> Any:
        return self._ops.diag(self, diagonal)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:
        return self._ops.diagonal(self, offset, dim1, dim2)

    # ----- reductions -----
    def logsumexp(self, dim: Any, keepdim: bool = False) -> Any:
        return self._ops.logsumexp(self, dim, keepdim)

    def prod(self, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
        return self._ops.prod(self, dim, keepdim, dtype=dtype)

    def nansum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
        return self._ops.nansum(self, dim, keepdim, dtype=dtype)

    def median(self, dim: int | None = None, keepdim: bool = False) -> Any:
        return self._ops.median(self, dim, keepdim)

    def count_nonzero(self, dim: Any = None) -> Any:
        return self._ops.count_nonzero(self, dim)

    # ----- selection by index -----
    def index_select(self, dim: int, index: Any) -> Any:
        return self._ops.index_select(self, dim, index)

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Any:
        return self._ops.take_along_dim(self, indices, dim)

    def scatter_add(self, dim: int, index: Any, src: Any) -> Any:
        return self._ops.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Any:
        return self._update_("assign", self._ops.scatter_add(self, dim, index, src))

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        return self._ops.nonzero(self, as_tuple=as_tuple)

    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
        return self._ops.argsort(self, dim, descending, stable=stable)

    def unique(self, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
               dim: int | None = None) -> Any:
        return self._ops.unique(self, sorted, return_inverse, return_counts, dim)

    # ----- products -----
    def mm(self, mat2: Any) -> Any:
        return self._ops.mm(self, mat2)

    def bmm(self, mat2: Any) -> Any:
        return self._ops.bmm(self, mat2)

    def mv(self, vec: Any) -> Any:
        return self._ops.mv(self, vec)

    def dot(self, other: Any) -> Any:
        return self._ops.dot(self, other)

    def outer(self, vec2: Any) -> Any:
        return self._ops.outer(self, vec2)

    ger = outer

    def addmm(self, mat1: Any, mat2: Any, *, beta: float = 1, alpha: float = 1) -> Any:
        return self._ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat: Any, vec: Any, *, beta: float = 1, alpha: float = 1) -> Any:
        return self._ops.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def baddbmm(self, batch1: Any, batch2: Any, *, beta: float = 1, alpha: float = 1) -> Any:
        return self._ops.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    # ----- elementwise -----
    def sign(self) -> Any:
        return self._ops.sign(self)

    sgn = sign

    def trunc(self) -> Any:
        return self._ops.trunc(self)

    fix = trunc

    def frac(self) -> Any:
        return self._ops.frac(self)

    def fmod(self, other: Any) -> Any:
        return self._ops.fmod(self, other)

    def remainder(self, other: Any) -> Any:
        return self._ops.remainder(self, other)

    def floor_divide(self, other: Any) -> Any:
        return self._ops.floor_divide(self, other)

    def true_divide(self, other: Any) -> Any:
        return self._ops.div(self, other)

    def lerp(self, end: Any, weight: Any) -> Any:
        return self._ops.lerp(self, end, weight)

    def erf(self) -> Any:
        return self._ops.erf(self)

    def erfc(self) -> Any:
        return self._ops.erfc(self)

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Any:
        return self._ops.isclose(self, other, rtol, atol, equal_nan)

    def logical_and(self, other: Any) -> Any:
        return self._ops.logical_and(self, other)

    def logical_or(self, other: Any) -> Any:
        return self._ops.logical_or(self, other)

    def logical_xor(self, other: Any) -> Any:
        return self._ops.logical_xor(self, other)

    def logical_not(self) -> Any:
        return self._ops.logical_not(self)

    # ----- random draws -----
    def bernoulli(self, p: float | None = None, *, generator: Any = None) -> Any:
        return self._ops.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator: Any = None) -> Any:
        return self._ops.multinomial(self, num_samples, replacement, generator=generator)


def _sizes(values: tuple[Any, ...], keyword: dict[str, Any], op: str) -> Any:
    """The `dims` of x.op(0, 1), x.op([0, 1]) or x.op(dims=[0, 1])."""
    if keyword:
        if values or set(keyword) != {"dims"}:
            raise TypeError(f"{op}() takes dims either as arguments or as dims=, got {sorted(keyword)}")
        return keyword["dims"]
    return values[0] if len(values) == 1 else values
