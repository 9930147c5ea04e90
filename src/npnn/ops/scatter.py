"""scatter: write values into a copy of `input` at the positions `index` names along `dim`.

out[..., index[i, j], ...] = src[i, j] along `dim` (as torch.scatter); where `index` repeats a
position the last write wins in npnn (PyTorch leaves that order undefined).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.shape import _wrap_dim


def _positions(index: Any, dim: int) -> tuple[Any, ...]:
    """The advanced index that addresses out[..., index[...], ...] along `dim`."""
    xp = backend.get_array_module(index)
    grid = [xp.arange(n).reshape([-1 if d == axis else 1 for d in range(index.ndim)])
            for axis, n in enumerate(index.shape)]
    grid[dim] = index
    return tuple(xp.broadcast_to(g, index.shape) for g in grid)  # each of index's shape


class Scatter(Function):
    def forward(self, a, src, positions=None):
        self.positions = positions
        self.src_shape = src.shape
        self.read = tuple(slice(0, n) for n in positions[0].shape) if src.ndim else ()
        out = a.copy()
        out[positions] = src[self.read]  # the part of src that index covers
        return out

    def backward(self, grad_output):
        grad_a = grad_src = None
        if self.needs_input_grad[0]:
            grad_a = grad_output.copy()
            grad_a[self.positions] = 0  # overwritten positions do not depend on input
        if self.needs_input_grad[1]:
            picked = grad_output[self.positions]
            if not self.src_shape:
                grad_src = picked.sum()
            else:
                grad_src = backend.get_array_module(grad_output).zeros(self.src_shape, picked.dtype)
                grad_src[self.read] = picked
        return grad_a, grad_src


def scatter(input: Any, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
    """A copy of `input` with `src[i][j]` (or the number `value`) written at `index` along `dim`.

    As torch.scatter: `index` is an integer tensor with input's number of dims (a 0-d index with
    a 1-d input names one position), no larger than `src` in any dim nor than input outside `dim`.
    The gradient reaches input where nothing was written and `src` where it was read.
    """
    input = to_tensor(input)
    if (src is None) == (value is None):
        raise TypeError("scatter() takes either src (a tensor) or value (a number), not both or neither")
    index_array = index.array if isinstance(index, Tensor) else np.asarray(index)
    if index_array.dtype.kind not in "iu":
        raise RuntimeError(f"scatter(): expected an integer index, got dtype {index_array.dtype}")
    if index_array.ndim == 0 and input.ndim <= 1:
        index_array = index_array.reshape(1)
    dim = _wrap_dim(dim, input.ndim, "scatter")
    if index_array.ndim != max(input.ndim, 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as self tensor: "
                           f"index has shape {index_array.shape}, input {input.shape}")
    source = to_tensor(value if src is None else src, like=(input,))
    if source.dtype != input.dtype:
        source = source.to(input.dtype)
    too_big = any(i > s for d, (i, s) in enumerate(zip(index_array.shape, input.shape, strict=True))
                  if d != dim) or (source.ndim and any(
                      i > s for i, s in zip(index_array.shape, source.shape, strict=True)))
    if too_big or (source.ndim and source.ndim != index_array.ndim):
        raise RuntimeError(f"scatter(): index of shape {index_array.shape} must be no larger than src "
                           f"{source.shape} in every dim and than input {input.shape} outside dim {dim}")
    return Scatter.apply(input, source, positions=_positions(index_array, dim))
