"""sort, topk, unbind, repeat: composites of gather, indexing, expand and reshape, so their
gradients come from those primitives."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor
from npnn.ops.reduction import ValuesIndices
from npnn.ops.shape import _wrap_dim, expand, gather, getitem, reshape, shape_arg


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> ValuesIndices:
    """(values, indices) sorted along `dim`; npnn's sort is always stable (ties keep their order)."""
    dim = _wrap_dim(dim, max(input.ndim, 1), "sort")
    if input.ndim == 0:
        return ValuesIndices(input, Tensor(np.zeros((), dtype=np.int64)))
    xp, keys = backend.get_array_module(input.array), input.array
    if descending:  # negated keys, so that a stable sort keeps ties in their order, as PyTorch's
        unsigned = keys.dtype.kind == "u"
        keys = ~keys if keys.dtype.kind == "b" else -keys.astype(np.int64) if unsigned else -keys
    order = xp.argsort(keys, axis=dim, kind="stable")
    indices = Tensor(order.astype(np.int64))
    return ValuesIndices(gather(input, dim, indices), indices)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:
    """The k largest (or smallest) values along `dim` and their indices, largest first."""
    dim = _wrap_dim(dim, max(input.ndim, 1), "topk")
    length = input.shape[dim] if input.ndim else 1
    if not 0 <= k <= length:
        raise RuntimeError(f"topk: k ({k}) is out of range for dimension {dim} of size {length}")
    values, indices = sort(input, dim, descending=largest)
    if input.ndim == 0:
        return ValuesIndices(values, indices)
    keep = (slice(None),) * dim + (slice(0, k),)
    return ValuesIndices(getitem(values, keep), Tensor(indices.array[keep]))


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along `dim`, each without that dim (views, as PyTorch's)."""
    dim = _wrap_dim(dim, input.ndim, "unbind")
    prefix = (slice(None),) * dim
    return tuple(getitem(input, (*prefix, i)) for i in range(input.shape[dim]))


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """Tile `input` `sizes[i]` times along dim i (PyTorch's repeat, NumPy's tile)."""
    sizes = shape_arg(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(f"repeat: number of repeat dims ({len(sizes)}) can not be smaller than "
                           f"the number of tensor dims ({input.ndim})")
    shape = (1,) * (len(sizes) - input.ndim) + tuple(input.shape)
    interleaved = [n for s in shape for n in (1, s)]
    grown = [n for r, s in zip(sizes, shape, strict=True) for n in (r, s)]
    tiled = expand(reshape(input, *interleaved), *grown)
    return reshape(tiled, *[r * s for r, s in zip(sizes, shape, strict=True)])
