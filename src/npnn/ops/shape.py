"""Shape primitives: reshape, permute, expand, getitem, cat, stack (and composites); pad is in
padding.py."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor
from npnn.autograd.function import Function


def shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """A shape given as f(2, 3) or f((2, 3)), as a tuple (for reshape, zeros, ...)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    """`dim` in [-ndim, ndim) as a non-negative index; out of range is an error, not a wrap."""
    size = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, as in PyTorch
    if not -size <= dim < size:
        raise IndexError(
            f"{op}: dim {dim} is out of range for a tensor with {ndim} dims "
            f"(expected a dim in [{-size}, {size - 1}])"
        )
    return dim % size


class Reshape(Function):
    def forward(self, a, shape=()):
        self.shape, self.out_shape = a.shape, shape
        return a.reshape(shape)

    def backward(self, grad_output):
        return grad_output.reshape(self.shape)

    def view(self, array):
        """The same reshape of another array of the input's shape (for in-place changes)."""
        return array.reshape(self.out_shape)


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """Same data, new shape (one dim may be -1)."""
    new_shape = _resolve_shape(shape_arg(shape), input.shape)
    if new_shape == input.shape:
        return input
    return Reshape.apply(input, shape=new_shape)


def _resolve_shape(new_shape: tuple[int, ...], old_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Fill in a -1 and check the element count, naming both shapes on failure."""
    numel = math.prod(old_shape)
    known = math.prod(s for s in new_shape if s != -1)
    unknown = [i for i, s in enumerate(new_shape) if s == -1]
    valid = len(unknown) <= 1 and all(s >= 0 or s == -1 for s in new_shape)
    if valid and unknown and known and numel % known == 0:
        new_shape = tuple(numel // known if s == -1 else s for s in new_shape)
    elif valid and unknown:
        valid = False
    if not valid or math.prod(new_shape) != numel:
        raise RuntimeError(
            f"reshape: shape {new_shape} is invalid for an input of shape {old_shape} "
            f"({numel} elements)"
        )
    return tuple(int(s) for s in new_shape)


class Permute(Function):
    def forward(self, a, dims=()):
        self.dims, self.inverse = dims, tuple(np.argsort(dims))
        return a.transpose(dims)

    def backward(self, grad_output):
        return grad_output.transpose(self.inverse)

    def view(self, array):
        """The same permutation of another array (for in-place changes of the view)."""
        return array.transpose(self.dims)


def permute(input: Tensor, *dims: Any) -> Tensor:
    """Reorder dimensions: output dim i is input dim dims[i]."""
    dims = tuple(_wrap_dim(d, input.ndim, "permute") for d in shape_arg(dims))
    if sorted(dims) != list(range(input.ndim)):
        raise RuntimeError(f"permute: dims {dims} are not a permutation of {input.ndim} dims")
    return Permute.apply(input, dims=dims)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    dims = list(range(input.ndim))
    dim0, dim1 = _wrap_dim(dim0, input.ndim, "transpose"), _wrap_dim(dim1, input.ndim, "transpose")
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return permute(input, *dims)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one."""
    if input.ndim == 0:
        return reshape(input, 1)
    start = _wrap_dim(start_dim, input.ndim, "flatten")
    end = _wrap_dim(end_dim, input.ndim, "flatten")
    shape = input.shape
    merged = math.prod(shape[start:end + 1])
    return reshape(input, *shape[:start], merged, *shape[end + 1:])


def squeeze(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Drop size-1 dims (all of them, or those in `dim` that have size 1)."""
    if dim is None:
        axes = [i for i, s in enumerate(input.shape) if s == 1]
    else:
        axes = [_wrap_dim(d, input.ndim, "squeeze") for d in ((dim,) if isinstance(dim, int) else dim)]
        axes = [d for d in axes if input.ndim and input.shape[d] == 1]
    return reshape(input, *[s for i, s in enumerate(input.shape) if i not in axes])


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at `dim`."""
    dim = _wrap_dim(dim, input.ndim + 1, "unsqueeze")
    return reshape(input, *input.shape[:dim], 1, *input.shape[dim:])


class Expand(Function):
    def forward(self, a, shape=()):
        return backend.get_array_module(a).broadcast_to(a, shape)

    def backward(self, grad_output):
        return grad_output  # the engine sums it back to the input's shape


def expand(input: Tensor, *shape: Any) -> Tensor:
    """Broadcast to `shape` without copying (-1 keeps a dim)."""
    shape = shape_arg(shape)
    offset = len(shape) - input.ndim
    if offset < 0 or -1 in shape[:offset]:
        raise RuntimeError(
            f"expand: cannot expand shape {input.shape} to {shape}: the target needs at least "
            f"{input.ndim} dims, and -1 (keep) only refers to existing dims"
        )
    full = tuple(input.shape[i - offset] if s == -1 else s for i, s in enumerate(shape))
    if any(s not in (1, t) for s, t in zip(input.shape, full[offset:], strict=True)):
        raise RuntimeError(
            f"expand: cannot expand shape {input.shape} to {shape}: only size-1 dims can grow"
        )
    return Expand.apply(input, shape=full)


def is_advanced(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(not isinstance(p, (int, np.integer, slice, type(None), type(Ellipsis)))
               for p in parts)


class GetItem(Function):
    def forward(self, a, index=None):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        if not is_advanced(index):
            parts = index if isinstance(index, tuple) else (index,)
            if not any(p is Ellipsis for p in parts):
                # x[0] of a vector is a 0-d view, not NumPy's scalar copy: x[0].add_(1)
                # changes x, as in PyTorch
                return a[(*parts, Ellipsis)]
        return a[index]

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        grad = xp.zeros(self.shape, dtype=grad_output.dtype)
        if is_advanced(self.index):
            # repeated integer indices must add up, which plain assignment would not do
            xp.add.at(grad, self.index, grad_output)
        else:
            grad[self.index] = grad_output
        return grad

    def view(self, array):
        """The same basic-index view of another array (for in-place changes of the view)."""
        parts = self.index if isinstance(self.index, tuple) else (self.index,)
        return array[(*parts, Ellipsis)] if not any(p is Ellipsis for p in parts) else array[self.index]


def getitem(input: Tensor, index: Any) -> Tensor:
    """input[index] with basic and integer/boolean-array indexing."""
    return GetItem.apply(input, index=index)


def gather(input: Tensor, dim: int, index: Any) -> Tensor:
    """out[..., i, ...] = input[..., index[..., i, ...], ...] along `dim` (as torch.gather)."""
    index = index.array if isinstance(index, Tensor) else np.asarray(index)
    dim = _wrap_dim(dim, input.ndim, "gather")
    if index.ndim != input.ndim or index.dtype.kind not in "iu" or any(
        i > s for d, (i, s) in enumerate(zip(index.shape, input.shape, strict=True)) if d != dim
    ):
        raise RuntimeError(
            f"gather: index of shape {index.shape} and dtype {index.dtype} does not fit input of "
            f"shape {input.shape} along dim {dim}: it needs {input.ndim} dims, an integer dtype and "
            "sizes no larger than the input's in the other dims"
        )
    xp = backend.get_array_module(index)
    grid = [xp.arange(n).reshape([-1 if d == axis else 1 for d in range(index.ndim)])
            for axis, n in enumerate(index.shape)]
    grid[dim] = index
    return getitem(input, tuple(grid))


def split(input: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of `split_size` along `dim` (the last may be smaller), or of the listed sizes."""
    dim = _wrap_dim(dim, input.ndim, "split")
    length = input.shape[dim]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise ValueError(f"split: split_size must be positive, got {split_size_or_sections}")
        sizes = [min(split_size_or_sections, length - start)
                 for start in range(0, length, split_size_or_sections)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != length:
            raise RuntimeError(f"split: sizes {sizes} must sum to the length {length} of dim {dim}")
    bounds = itertools.pairwise(itertools.accumulate(sizes, initial=0))
    prefix = (slice(None),) * dim
    return tuple(getitem(input, (*prefix, slice(start, stop))) for start, stop in bounds)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into `chunks` pieces of ceil(length / chunks) along `dim` (maybe fewer pieces)."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    length = input.shape[_wrap_dim(dim, input.ndim, "chunk")]
    return split(input, max(-(-length // chunks), 1), dim)


class Cat(Function):
    def forward(self, *arrays, dim=0):
        self.dim = dim
        self.splits = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return backend.get_array_module(*arrays).concatenate(arrays, axis=dim)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        return tuple(xp.split(grad_output, self.splits, axis=self.dim))


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat needs at least one tensor")
    reference = tensors[0].shape
    axis = _wrap_dim(dim, len(reference), "cat")
    for t in tensors[1:]:
        if len(t.shape) != len(reference) or any(
            s != r for i, (s, r) in enumerate(zip(t.shape, reference, strict=True)) if i != axis
        ):
            raise RuntimeError(
                f"cat: shapes {reference} and {t.shape} must match except in dim {dim}"
            )
    return Cat.apply(*tensors, dim=axis)


concatenate = cat


class Stack(Function):
    def forward(self, *arrays, dim=0):
        self.dim = dim
        return backend.get_array_module(*arrays).stack(arrays, axis=dim)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        return tuple(xp.moveaxis(grad_output, self.dim, 0))


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack: all shapes must be equal, got {tensors[0].shape} and {t.shape}")
    return Stack.apply(*tensors, dim=_wrap_dim(dim, tensors[0].ndim + 1, "stack"))
