"""Resizing (N, C, H, W) images, as torch.nn.functional.interpolate's 'nearest' and 'bilinear'
(and (N, C, L) sequences by 'nearest' and 'linear', as images of height 1).

Both modes resize each axis on its own, so a resize is `rows @ x @ cols.T` with one small
interpolation matrix per axis (average pooling's SeparablePool), and its gradient
`rows.T @ grad @ cols`. The matrices follow PyTorch's CPU kernels: its source-index rules, and
their arithmetic in float32 for 'nearest' and in the input's float type for 'bilinear', so that
the same pixels are picked at non-integer scale factors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from npnn._tensor import Tensor, to_tensor
from npnn.ops.pooling import SeparablePool

MODES = ("nearest", "linear", "bilinear")


class Interpolate(SeparablePool):
    """SeparablePool that keeps its mode and scale factors, so that the ONNX export can write a
    Resize node for it (npnn.onnx.layers)."""

    def forward(self, x, rows=None, cols=None, mode="nearest", align_corners=False, scales=(None, None)):
        return super().forward(x, rows, cols)


def _nearest_matrix(size: int, out: int, scale_factor: float | None) -> Any:
    """(out, size): output o copies input min(floor(o · scale), size - 1), scale = 1/scale_factor
    or size/out, in float32 (PyTorch's nearest_idx, sizes kept or doubled exactly)."""
    if out == size:
        index = np.arange(out)
    elif out == 2 * size:
        index = np.arange(out) >> 1
    else:
        scale = np.float32(1.0 / scale_factor) if scale_factor else np.float32(size) / np.float32(out)
        index = np.minimum(np.floor(np.arange(out, dtype=np.float32) * scale).astype(np.int64), size - 1)
    matrix = np.zeros((out, size))
    matrix[np.arange(out), index] = 1.0
    return matrix


def _bilinear_matrix(size: int, out: int, scale_factor: float | None, align_corners: bool, dtype: Any) -> Any:
    """(out, size): output o mixes the two inputs around its source position (PyTorch's
    area_pixel_compute_source_index: o · (size-1)/(out-1) with align_corners, else
    max((o + 0.5) · scale - 0.5, 0)), by the distances to them."""
    dtype = np.dtype(dtype) if np.dtype(dtype).kind == "f" else np.dtype(np.float32)
    matrix = np.zeros((out, size), dtype=dtype)
    if out == size:
        matrix[np.arange(out), np.arange(out)] = 1
        return matrix
    positions = np.arange(out).astype(dtype)
    if align_corners:
        scale = dtype.type(size - 1) / dtype.type(out - 1) if out > 1 else dtype.type(0)
        source = scale * positions
    else:
        scale = dtype.type(1.0 / scale_factor) if scale_factor else dtype.type(size) / dtype.type(out)
        source = np.maximum(scale * (positions + dtype.type(0.5)) - dtype.type(0.5), dtype.type(0))
    first = np.minimum(np.floor(source).astype(np.int64), size - 1)
    weight = np.clip(source - first.astype(dtype), 0, 1).astype(dtype)  # the second input's share
    second = first + (first < size - 1)
    np.add.at(matrix, (np.arange(out), first), dtype.type(1) - weight)
    np.add.at(matrix, (np.arange(out), second), weight)
    return matrix


def _pair(value: Any, name: str) -> tuple[Any, Any]:
    if isinstance(value, Sequence):
        if len(value) != 2:
            raise ValueError(f"Input and {name} must have the same number of spatial dimensions, but got "
                             f"input with spatial dimensions of 2 and {name} {tuple(value)}; give one "
                             f"value or two (for H and W)")
        return tuple(value)  # type: ignore[return-value]
    return value, value


def _one(value: Any) -> Any:
    """The one value of a 1-D size or scale factor (a number or a 1-sequence)."""
    if isinstance(value, Sequence):
        if len(value) != 1:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got "
                             f"input with spatial dimensions of 1 and {tuple(value)}")
        return value[0]
    return value


def interpolate(input: Any, size: int | Sequence[int] | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize (N, C, H, W) to `size` or to floor(H · scale_factor) x floor(W · scale_factor) by
    mode 'nearest' or 'bilinear' (align_corners: corner pixels' centres stay aligned), or
    (N, C, L) by 'nearest' or 'linear'. As PyTorch, a given scale_factor (not recomputed) sets
    the source positions, not the sizes' ratio. npnn has these modes only."""
    x = to_tensor(input)
    if mode not in MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not implemented in npnn; "
                                  f"use one of {MODES}")
    if align_corners is not None and mode == "nearest":
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if mode == "linear" and x.ndim != 3:
        raise NotImplementedError(f"Got {x.ndim}D input, but linear mode needs 3D input")
    if x.ndim == 3 and mode != "bilinear":  # (N, C, L): an image of height 1, kept as it is
        size_, factor = (None if v is None else (1, _one(v)) for v in (size, scale_factor))
        return interpolate(x.unsqueeze(2), size_, factor, "nearest" if mode == "nearest" else "bilinear",
                           align_corners, recompute_scale_factor, antialias).squeeze(2)
    if x.ndim != 4:
        if mode == "bilinear":
            raise NotImplementedError(f"Got {x.ndim}D input, but bilinear mode needs 4D input")
        raise NotImplementedError(f"interpolate: npnn supports 3-D (N, C, L) and 4-D (N, C, H, W) input, "
                                  f"got {x.ndim}-D")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not implemented in npnn")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None
                         else "either size or scale_factor should be defined")
    in_size = x.shape[2:]
    if size is not None:
        out, scales = _pair(size, "output size"), (None, None)
    else:
        factors = _pair(scale_factor, "scale_factor")
        out = tuple(math.floor(float(in_size[a]) * factors[a]) for a in (0, 1))
        scales = (None, None) if recompute_scale_factor else factors
    if min(*in_size, *out) <= 0:
        raise RuntimeError("Input and output sizes should be greater than 0, but got input "
                           f"(H: {in_size[0]}, "
                           f"W: {in_size[1]}) output (H: {out[0]}, W: {out[1]})")
    if mode == "nearest":
        rows, cols = (_nearest_matrix(in_size[a], out[a], scales[a]) for a in (0, 1))
    else:
        rows, cols = (_bilinear_matrix(in_size[a], out[a], scales[a], bool(align_corners), x.dtype)
                      for a in (0, 1))
    return Interpolate.apply(x, rows=rows, cols=cols, mode=mode, align_corners=bool(align_corners),
                             scales=scales)
