"""Max pooling to a fixed output size, as torch.nn.functional.adaptive_max_pool2d / 1d.

Output (i, j) takes the maximum of rows [floor(i·H/Ho), ceil((i+1)·H/Ho)) and the matching
columns (windows may overlap). The max is separable: first each row's maximum over every
column window, then the maximum of those over every row window, keeping where each came from.
The first maximum in row-major order wins a tie, and the last NaN a window holds, as PyTorch
picks them; the gradient goes to that one element (summed where windows overlap).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function


def _windows(size: int, out: int) -> list[tuple[int, int]]:
    return [(o * size // out, -(-(o + 1) * size // out)) for o in range(out)]


def _window_argmax(values: Any, axis: int, start: int) -> Any:
    """Index (from `start`) of the first maximum along `axis`, or of the last NaN if any."""
    xp = backend.get_array_module(values)
    best = xp.argmax(values, axis=axis)
    if values.dtype.kind == "f":
        nan = xp.isnan(values)
        last_nan = values.shape[axis] - 1 - xp.argmax(xp.flip(nan, axis=axis), axis=axis)
        best = xp.where(nan.any(axis=axis), last_nan, best)
    return best + start


def _max_indices(x: Any, out: tuple[int, int]) -> Any:
    """Flat indices h·W + w of each window's maximum in x (B, H, W): (B, Ho, Wo)."""
    xp = backend.get_array_module(x)
    batch, height, width = x.shape
    columns = [_window_argmax(x[:, :, s:e], 2, s) for s, e in _windows(width, out[1])]
    col_index = xp.stack(columns, axis=-1) if columns else xp.zeros((batch, height, 0), dtype=np.int64)
    row_max = xp.take_along_axis(x, col_index, axis=2)  # each row's maximum in each column window
    rows = [_window_argmax(row_max[:, s:e], 1, s) for s, e in _windows(height, out[0])]
    row_index = xp.stack(rows, axis=1) if rows else xp.zeros((batch, 0, out[1]), dtype=np.int64)
    return row_index * width + xp.take_along_axis(col_index, row_index, axis=1)


class AdaptiveMaxPool2d(Function):
    """x (..., H, W) at the flat indices (..., Ho, Wo) of its windows' maxima; keeps the output
    size for the ONNX export."""

    def forward(self, x, indices=None):
        self.shape, self.indices = x.shape, indices
        flat = x.reshape(-1, x.shape[-2] * x.shape[-1])
        return backend.get_array_module(x).take_along_axis(
            flat, indices.reshape(flat.shape[0], -1), axis=1).reshape(indices.shape)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        size = self.shape[-2] * self.shape[-1]
        batch = math.prod(self.shape[:-2])
        grad = xp.zeros(batch * size, dtype=grad_output.dtype)
        offsets = (xp.arange(batch) * size)[:, None]
        xp.add.at(grad, (self.indices.reshape(batch, -1) + offsets).reshape(-1), grad_output.reshape(-1))
        return grad.reshape(self.shape)


def _output_size(output_size: Any, sizes: Sequence[int], name: str) -> tuple[int, ...]:
    count = len(sizes)
    single = output_size is None or isinstance(output_size, int)
    given = (output_size,) * count if single else tuple(output_size)
    if len(given) != count:
        if count == 1:
            raise RuntimeError(f"{name}() argument 'output_size' should contain one int (got {len(given)})")
        raise RuntimeError(f"{name}(): internal error: output_size.size() must be {count}")
    out = tuple(size if s is None else s for s, size in zip(given, sizes, strict=True))
    if any(not isinstance(s, (int, np.integer)) or s < 0 for s in out):
        raise RuntimeError(f"{name}: output_size must be non-negative ints (or None to keep a size), "
                           f"got {output_size!r}")
    return tuple(int(s) for s in out)


def _pool(x: Tensor, out: tuple[int, int], spatial: int, name: str,
          return_indices: bool) -> Tensor | tuple[Tensor, Tensor]:
    if x.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"{name}(): Expected {spatial + 1}D or {spatial + 2}D tensor, but got: "
                           f"{list(x.shape)}")
    for axis in range(x.ndim - spatial, x.ndim):
        if x.shape[axis] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, "
                               f"but input has sizes {list(x.shape)} with dimension {axis} being empty")
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"{name}" not implemented for integer or bool input ({x.dtype}); '
                                  "cast it with .float()")
    lead = x.shape[:-2]
    indices = _max_indices(x.array.reshape(-1, *x.shape[-2:]), out).reshape(*lead, *out)
    values = AdaptiveMaxPool2d.apply(x, indices=indices)
    return (values, Tensor(indices)) if return_indices else values


def adaptive_max_pool2d(input: Any, output_size: int | Sequence[int | None] | None,
                        return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling of (N, C, H, W) or (C, H, W) to (Ho, Wo) whatever H and W (None keeps a
    size); return_indices adds each maximum's flat index h·W + w (int64), as PyTorch."""
    x = to_tensor(input)
    out = _output_size(output_size, x.shape[-2:] if x.ndim >= 2 else (0, 0), "adaptive_max_pool2d")
    return _pool(x, out, 2, "adaptive_max_pool2d", return_indices)


def adaptive_max_pool1d(input: Any, output_size: int | Sequence[int],
                        return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling of (N, C, L) or (C, L) to length Lo whatever L; return_indices adds each
    maximum's index (int64), as PyTorch."""
    x = to_tensor(input)
    if x.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {x.ndim}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for adaptive_max_pool1d)")
    (length,) = _output_size(output_size, x.shape[-1:], "adaptive_max_pool1d")
    if x.shape[-1] == 0:
        raise RuntimeError(f"adaptive_max_pool1d(): Expected input to have non-zero size for non-batch "
                           f"dimensions, but input has sizes {list(x.shape)} with dimension {x.ndim - 1} "
                           f"being empty")
    result = _pool(x.unsqueeze(-2), (1, length), 2, "adaptive_max_pool1d", return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)
