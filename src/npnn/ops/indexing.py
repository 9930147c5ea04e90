"""Selecting by integer index: index_select, take_along_dim, repeat_interleave, scatter_add,
and the index-valued queries nonzero, argsort, unique, count_nonzero.

The selections are advanced indexing (GetItem), whose backward adds repeated picks up.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.elementwise import clone
from npnn.ops.scatter import _positions
from npnn.ops.shape import _wrap_dim, expand, gather, getitem, reshape
from npnn.ops.sorting import sort
from npnn.tensor_math import Dim


def _index_array(index: Any, op: str) -> Any:
    array = index.array if isinstance(index, Tensor) else np.asarray(index)
    if array.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index, got {array.dtype}")
    return array


def index_select(input: Tensor, dim: int, index: Any) -> Tensor:
    """The entries `index` (a vector of ints) along `dim`; repeated indices add up in backward."""
    array = _index_array(index, "index_select")
    if array.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    dim = _wrap_dim(dim, input.ndim, "index_select")
    size = input.shape[dim] if input.ndim else 1
    if array.size and (array.min() < -size or array.max() >= size):
        raise IndexError(f"index out of range in self: index_select with indices "
                         f"{backend.to_numpy(array).tolist()} along dim {dim} of size {size}")
    if input.ndim == 0:  # a 0-d input gives a 0-d copy, as PyTorch's
        if array.size != 1:
            raise IndexError(f"index_select(): a 0-d input takes one index, got {array.size}")
        return clone(input)
    return getitem(input, (slice(None),) * dim + (array.reshape(-1),))


def take_along_dim(input: Tensor, indices: Any, dim: int | None = None) -> Tensor:
    """out = input[..., indices[...], ...] along `dim` (the flattened input without it); input
    and indices broadcast against each other outside `dim`."""
    array = _index_array(indices, "take_along_dim")
    if dim is None:
        return getitem(reshape(input, -1), array.reshape(-1))
    dim = _wrap_dim(dim, input.ndim, "take_along_dim")
    if array.ndim != input.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of "
                           f"dimensions, but got {input.ndim} dimensions for input, and {array.ndim} "
                           f"dimensions for indices")
    shape_in, shape_ix = list(input.shape), list(array.shape)
    shape_in[dim] = shape_ix[dim] = 1
    common = np.broadcast_shapes(tuple(shape_in), tuple(shape_ix))
    target = list(common)
    target[dim] = input.shape[dim]
    index_target = list(common)
    index_target[dim] = array.shape[dim]
    xp = backend.get_array_module(array)
    return gather(expand(input, *target), dim, Tensor(xp.broadcast_to(array, index_target)))


def repeat_interleave(input: Any, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Each element repeated `repeats` times along `dim` (the flattened input without it).
    With only a vector of counts, the indices 0, 1, ... each repeated that often."""
    if repeats is None:
        counts = _index_array(input, "repeat_interleave")
        if counts.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        xp = backend.get_array_module(counts)
        return Tensor(xp.repeat(xp.arange(counts.shape[0], dtype=np.int64), counts))
    input = to_tensor(input)
    if dim is None:
        input, dim = reshape(input, -1), 0
    dim = _wrap_dim(dim, input.ndim, "repeat_interleave")
    size = input.shape[dim] if input.ndim else 1
    counts = repeats.array if isinstance(repeats, Tensor) else np.asarray(repeats)
    if counts.ndim > 1 or (counts.ndim == 1 and counts.shape[0] not in (1, size)):
        raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {counts.shape[0] if counts.ndim else 1} and "
                           f"input.size({dim}) = {size}")
    if counts.size and counts.min() < 0:
        raise RuntimeError("repeats can not be negative")
    counts = backend.to_numpy(counts).reshape(-1)
    index = np.repeat(np.arange(size), counts if counts.size != 1 else int(counts[0]))
    if output_size is not None and output_size != index.shape[0]:
        raise RuntimeError(f"allocated size does not match required size: output_size={output_size}, "
                           f"repeats sum to {index.shape[0]}")
    if input.ndim == 0:
        input = reshape(input, 1)
    return index_select(input, dim, index)


class ScatterAdd(Function):
    def forward(self, a, src, positions=None):
        self.positions = positions
        self.read = tuple(slice(0, n) for n in positions[0].shape)
        self.src_shape = src.shape
        out = a.copy()
        backend.get_array_module(a).add.at(out, positions, src[self.read])
        return out

    def backward(self, grad_output):
        grad_src = None
        if self.needs_input_grad[1]:
            grad_src = backend.get_array_module(grad_output).zeros(self.src_shape, grad_output.dtype)
            grad_src[self.read] = grad_output[self.positions]
        return grad_output, grad_src


def scatter_add(input: Any, dim: int, index: Any, src: Any) -> Tensor:
    """A copy of `input` with each `src[i][j]` added at `index` along `dim` (repeats add up)."""
    input, src = to_tensor(input), to_tensor(src)
    array = _index_array(index, "scatter_add")
    dim = _wrap_dim(dim, input.ndim, "scatter_add")
    if array.ndim != max(input.ndim, 1) or src.ndim != array.ndim or any(
            i > s for i, s in zip(array.shape, src.shape, strict=True)) or any(
            i > s for d, (i, s) in enumerate(zip(array.shape, input.shape, strict=True)) if d != dim):
        raise RuntimeError(f"scatter_add(): index of shape {array.shape} must have the input's number of "
                           f"dims and be no larger than src {src.shape} in every dim and than input "
                           f"{input.shape} outside dim {dim}")
    if src.dtype != input.dtype:
        raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype ({input.dtype} "
                           f"and {src.dtype})")
    return ScatterAdd.apply(input, src, positions=_positions(array, dim))


def nonzero(input: Any, *, as_tuple: bool = False) -> Any:
    """The indices of the non-zero elements: an (n, ndim) int64 tensor, or one vector per dim."""
    array = to_tensor(input).array
    xp = backend.get_array_module(array)
    if as_tuple:
        found = xp.nonzero(xp.atleast_1d(array))
        return tuple(Tensor(i.astype(np.int64)) for i in found)
    return Tensor(xp.argwhere(array).astype(np.int64))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The indices that sort `input` along `dim` (npnn's sort is always stable)."""
    return sort(input, dim, descending, stable).indices


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct values (sorted, as PyTorch's CPU kernel), with the index of each input
    element in them and each one's count when asked."""
    array = backend.to_numpy(input.array)
    axis = None if dim is None else _wrap_dim(dim, input.ndim, "unique")
    values, inverse, counts = np.unique(array, return_inverse=True, return_counts=True, axis=axis)
    if axis is None:
        inverse = inverse.reshape(array.shape)
    device = input.device

    def out(x: np.ndarray) -> Tensor:
        result = Tensor(x)
        return result if device == "cpu" else result.to(device)

    results = [out(values)]
    if return_inverse:
        results.append(out(inverse.reshape(-1).astype(np.int64) if axis is not None
                           else inverse.astype(np.int64)))
    if return_counts:
        results.append(out(counts.astype(np.int64)))
    return results[0] if len(results) == 1 else tuple(results)


def count_nonzero(input: Tensor, dim: Dim = None) -> Tensor:
    """How many elements are not zero (over `dim`, or all), as int64."""
    xp = backend.get_array_module(input.array)
    axis = tuple(dim) if isinstance(dim, (list, tuple)) else dim
    return Tensor(xp.asarray(xp.count_nonzero(input.array, axis=axis), dtype=np.int64))
