"""Index- and mask-driven copies with PyTorch's names: masked_select, masked_scatter,
index_add, index_fill, index_copy.

All are built from differentiable ops (getitem, where, scatter, scatter_add), so their
gradients are theirs: the gradient reaches the input where it was kept and the source where
it was read.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.dtypes import torch_name
from npnn.ops.elementwise import cast, mul
from npnn.ops.indexing import scatter_add
from npnn.ops.reorder import broadcast_to
from npnn.ops.scatter import scatter
from npnn.ops.selection import where
from npnn.ops.shape import _wrap_dim, getitem, reshape


def _bool_mask(mask: Any, op: str) -> Any:
    array = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    if array.dtype != np.bool_:
        raise RuntimeError(f"{op}: expected BoolTensor for mask")
    return array


def masked_select(input: Any, mask: Any) -> Tensor:
    """The elements of input where mask (broadcast with it) is true, as a 1-D tensor."""
    input = to_tensor(input)
    array = _bool_mask(mask, "masked_select")
    shape = np.broadcast_shapes(input.shape, array.shape)
    xp = backend.get_array_module(input.array)
    return getitem(broadcast_to(input, shape), xp.broadcast_to(xp.asarray(array), shape))


def masked_scatter(input: Any, mask: Any, source: Any) -> Tensor:
    """A copy of input with the true positions of mask filled, in row-major order, by the
    first elements of source."""
    input, source = to_tensor(input), to_tensor(source)
    array = _bool_mask(mask, "masked_scatter")
    if input.dtype != source.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{torch_name(input.dtype)} and "
                           f"{torch_name(source.dtype)}")
    shape = np.broadcast_shapes(input.shape, array.shape)
    array = np.broadcast_to(backend.to_numpy(array), shape)
    ones = int(array.sum())
    if ones > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    # position k of the result reads source[number of true mask entries before k]
    read = np.maximum(np.cumsum(array.reshape(-1)) - 1, 0).reshape(shape)
    xp = backend.get_array_module(input.array)
    picked = getitem(reshape(source, -1), xp.asarray(read)) if source.numel() else broadcast_to(input, shape)
    return where(xp.asarray(array), picked, input)


def _index_vector(index: Any, op: str) -> Any:
    array = index.array if isinstance(index, Tensor) else np.asarray(index)
    if array.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index but got: "
                           f"{torch_name(array.dtype)}")
    if array.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    return array.reshape(-1)


def _along(input: Tensor, dim: int, index: Any, source: Tensor, op: str) -> tuple[int, Any]:
    """dim wrapped, and index spread to source's shape along dim (scatter's index)."""
    dim = _wrap_dim(dim, max(input.ndim, 1), op)
    src_shape = source.shape or (1,)
    if source.ndim not in (0, input.ndim) or (input.ndim and len(index) != src_shape[dim]):
        raise RuntimeError(f"{op}(): Number of indices ({len(index)}) should be equal to "
                           f"source.size(dim): ({src_shape[dim] if dim < len(src_shape) else 1}), "
                           f"for dim: {dim}")
    size = input.shape[dim] if input.ndim else 1
    if index.size and (index.min() < 0 or index.max() >= size):  # PyTorch: no negative indices here
        bad = int(index[(index < 0) | (index >= size)][0])
        error = RuntimeError if op == "index_add_" else IndexError
        prefix = "" if op == "index_add_" else f"{op}(): "
        raise error(f"{prefix}index {bad} is out of bounds for dimension {dim} with size {size}")
    xp = backend.get_array_module(input.array)
    index = xp.asarray(index)
    shape = [1] * len(src_shape)
    shape[dim] = -1
    return dim, xp.broadcast_to(index.reshape(shape), src_shape)


def _same_dtype(input: Tensor, source: Tensor, op: str) -> None:
    if input.dtype != source.dtype:
        raise RuntimeError(f"{op}(): self and source expected to have the same dtype, but got (self) "
                           f"{torch_name(input.dtype)} and (source) "
                           f"{torch_name(source.dtype)}")


def index_add(input: Any, dim: int, index: Any, source: Any, *, alpha: float = 1) -> Tensor:
    """A copy of input with alpha · source[..., i, ...] added at input[..., index[i], ...]
    along dim (repeated indices add up)."""
    input, source = to_tensor(input), to_tensor(source)
    _same_dtype(input, source, "index_add_")
    dim, spread = _along(input, dim, _index_vector(index, "index_add_"), source, "index_add_")
    if alpha != 1:
        source = mul(source, alpha)
    if input.ndim == 0:
        return reshape(scatter_add(reshape(input, 1), 0, spread, reshape(source, 1)), ())
    return scatter_add(input, dim, spread, source)


def index_copy(input: Any, dim: int, index: Any, source: Any) -> Tensor:
    """A copy of input with source[..., i, ...] written at input[..., index[i], ...] along dim."""
    input, source = to_tensor(input), to_tensor(source)
    _same_dtype(input, source, "index_copy_")
    dim, spread = _along(input, dim, _index_vector(index, "index_copy_"), source, "index_copy_")
    if input.ndim == 0:
        return reshape(scatter(reshape(input, 1), 0, spread, reshape(source, 1)), ())
    return scatter(input, dim, spread, source)


def index_fill(input: Any, dim: int, index: Any, value: Any) -> Tensor:
    """A copy of input with `value` (a number or 0-d tensor) at the positions index along dim."""
    input = to_tensor(input)
    array = _index_vector(index, "index_fill_")
    value = to_tensor(value, like=(input,))
    if value.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor "
                           f"with {value.ndim} dimension(s).")
    dim = _wrap_dim(dim, max(input.ndim, 1), "index_fill_")
    size = input.shape[dim] if input.ndim else 1
    if array.size and (array.min() < -size or array.max() >= size):
        bad = int(array[(array < -size) | (array >= size)][0])
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
    xp = backend.get_array_module(input.array)
    hit = xp.zeros(size, dtype=bool)
    hit[xp.asarray(array)] = True
    shape = [1] * input.ndim
    if input.ndim:
        shape[dim] = size
    return where(hit.reshape(shape), cast(value, input.dtype), input)
