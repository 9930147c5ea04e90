"""Reordering and reshaping composites PyTorch code reaches for: flip, roll, movedim, narrow,
broadcast_to, unflatten, tile, tensor_split, atleast_Nd, meshgrid.

flip and roll copy (as PyTorch's); the others are views built from reshape, permute,
expand and basic indexing, and differentiate through those.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.shape import _wrap_dim, expand, getitem, permute, reshape, shape_arg, transpose
from npnn.ops.sorting import repeat


def _dims(dims: Any, ndim: int, op: str) -> tuple[int, ...]:
    """One dim or several, each wrapped into [0, ndim); a repeated dim is an error."""
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    wrapped = tuple(_wrap_dim(int(d), ndim, op) for d in dims)
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"{op}: dim {list(dims)} appears multiple times in the list of dims")
    return wrapped


class Flip(Function):
    def forward(self, a, dims=()):
        self.dims = dims
        return backend.get_array_module(a).flip(a, dims).copy()

    def backward(self, grad_output):
        return backend.get_array_module(grad_output).flip(grad_output, self.dims)


def flip(input: Tensor, dims: int | Sequence[int]) -> Tensor:
    """A copy with the order of elements reversed along each of `dims`."""
    dims = _dims(dims, input.ndim, "flip")
    return Flip.apply(input, dims=dims) if input.ndim else Flip.apply(input, dims=None)


class Roll(Function):
    def forward(self, a, shifts=(), dims=None):
        self.shifts, self.dims = shifts, dims
        return backend.get_array_module(a).roll(a, shifts, axis=dims)

    def backward(self, grad_output):
        back = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return backend.get_array_module(grad_output).roll(grad_output, back, axis=self.dims)


def roll(input: Tensor, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Tensor:
    """Shift elements along `dims` circularly (over the flattened tensor without `dims`)."""
    if dims is None:
        if isinstance(shifts, (tuple, list)) and len(shifts) != 1:
            raise RuntimeError(f"roll: shifts {list(shifts)} need as many dims, got none")
        shift = int(shifts[0] if isinstance(shifts, (tuple, list)) else shifts)
        return Roll.apply(input, shifts=shift, dims=None)
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims: {len(dims)}")
    dims = tuple(_wrap_dim(int(d), input.ndim, "roll") for d in dims)
    return Roll.apply(input, shifts=tuple(int(s) for s in shifts), dims=dims)


def movedim(input: Tensor, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    """Move the dims `source` to the positions `destination`, keeping the others in order."""
    source_dims = _dims(source, input.ndim, "movedim")
    destination_dims = _dims(destination, input.ndim, "movedim")
    if len(source_dims) != len(destination_dims):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(source_dims)} dims) "
                           f"should contain the same number of dims as destination "
                           f"({list(destination_dims)} dims)")
    order = [d for d in range(input.ndim) if d not in source_dims]
    for destination_dim, source_dim in sorted(zip(destination_dims, source_dims, strict=True)):
        order.insert(destination_dim, source_dim)
    return permute(input, *order) if input.ndim else input


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """NumPy's name for transpose(input, axis0, axis1)."""
    return transpose(input, axis0, axis1)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The view input[..., start:start + length, ...] along `dim` (a negative start counts back)."""
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(dim, input.ndim, "narrow")
    size = input.shape[dim]
    start = int(start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    start %= size if size else 1
    if length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return getitem(input, (slice(None),) * dim + (slice(start, start + length),))


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    """`input` expanded to `size` (a view; -1 keeps a dim), as expand."""
    return expand(input, *shape_arg((size,)))


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape."""
    tensors = tuple(to_tensor(t) for t in tensors)
    try:
        shape = np.broadcast_shapes(*(t.shape for t in tensors))
    except ValueError:
        raise RuntimeError(f"broadcast_tensors: shapes {[list(t.shape) for t in tensors]} do not "
                           "broadcast: each dim must be equal or 1 (counting from the last)") from None
    return tuple(expand(t, *shape) for t in tensors)


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim `dim` into `sizes` (one may be -1)."""
    dim = _wrap_dim(dim, input.ndim, "unflatten")
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    known = int(np.prod([s for s in sizes if s != -1]))
    if -1 not in sizes and known != input.shape[dim]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of "
                           f"dim {dim} ({input.shape[dim]}) in the input tensor")
    return reshape(input, *input.shape[:dim], *sizes, *input.shape[dim + 1:])


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """Repeat along each dim; fewer `dims` than the tensor has are padded with leading 1s."""
    dims = shape_arg((dims,)) if not isinstance(dims, int) else (dims,)
    return repeat(input, *((1,) * (input.ndim - len(dims)) + tuple(dims)))


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Views along `dim`: `sections` nearly equal parts (the first ones one longer), or the
    parts between the given indices."""
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor "
                           "with 0 dims")
    dim = _wrap_dim(dim, input.ndim, "tensor_split")
    size = input.shape[dim]
    spec = indices_or_sections.array if isinstance(indices_or_sections, Tensor) else indices_or_sections
    if np.ndim(spec) == 0:
        sections = int(spec)
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        lengths = [size // sections + (1 if i < size % sections else 0) for i in range(sections)]
        bounds = np.concatenate([[0], np.cumsum(lengths)]).tolist()
    else:
        bounds = [0, *(int(i) for i in backend.to_numpy(np.asarray(spec) if isinstance(spec, list)
                                                         else spec).tolist()), size]
    prefix = (slice(None),) * dim
    return tuple(getitem(input, (*prefix, slice(min(start, size), min(max(stop, start), size))))
                 for start, stop in itertools.pairwise(bounds))


def _at_least(tensors: tuple[Any, ...], shape_of: Any) -> Any:
    results = []
    for t in tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)) else tensors:
        t = to_tensor(t)
        new = shape_of(t.shape)
        results.append(reshape(t, *new) if new != t.shape else t)
    single = len(tensors) == 1 and not isinstance(tensors[0], (tuple, list))
    return results[0] if single else tuple(results)


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least 1 dim (a 0-d one becomes shape (1,))."""
    return _at_least(tensors, lambda s: s or (1,))


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least 2 dims: (N,) becomes (1, N)."""
    return _at_least(tensors, lambda s: s if len(s) >= 2 else ((1, 1) if not s else (1, *s)))


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least 3 dims: (N,) becomes (1, N, 1), (M, N) becomes (M, N, 1)."""
    return _at_least(tensors, lambda s: s if len(s) >= 3 else
                     {0: (1, 1, 1), 1: (1, *s, 1), 2: (*s, 1)}[len(s)])


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids of 1-D tensors; indexing 'ij' (matrix, npnn's and PyTorch's default)
    or 'xy' (Cartesian: the first two dims swapped). npnn does not warn when it is left out."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: "
                           f"{indexing}")
    tensors = tuple(to_tensor(t) for t in tensors)
    if any(t.ndim > 1 for t in tensors):
        raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list")
    sizes = [max(t.numel(), 1) if t.ndim else 1 for t in tensors]
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for i, t in enumerate(tensors):
        axis = {0: 1, 1: 0}.get(i, i) if swap else i
        view = [1] * len(tensors)
        view[axis] = -1
        grids.append(expand(reshape(t, *view), *sizes))
    return tuple(grids)
