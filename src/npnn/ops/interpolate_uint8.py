"""Bilinear resizing of uint8 images as PyTorch's CPU kernel does it: in fixed point, one axis at
a time (the width, then the height), each pass rounded back to uint8. The weights are PyTorch's
(the antialias kernels' triangle filter, normalized per output), scaled to int16 by the most
precision bits the largest weight allows, and each output is (Σ w·x + half) >> bits, clipped."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend


def _taps(size: int, out: int, scale_factor: float | None, align_corners: bool) -> tuple[Any, Any]:
    """The first input of each output's window (out,) and the windows' float weights (out, taps)."""
    if align_corners:
        scale = (size - 1) / (out - 1) if out > 1 else 0.0
    else:
        scale = 1.0 / scale_factor if scale_factor else size / out
    delta = 0.5 if align_corners else 0.0
    center = scale * (np.arange(out) + 0.5 - delta)
    first = np.maximum((center - 0.5 + delta).astype(np.int64), 0)
    last = np.minimum((center + 1.5 + delta).astype(np.int64), size)
    taps = int((last - first).max())
    positions = first[:, None] + np.arange(taps)
    weights = np.maximum(0.0, 1 - np.abs(positions - center[:, None] + 0.5 - delta))
    weights[positions >= last[:, None]] = 0
    total = weights.sum(axis=1, keepdims=True)
    return first, np.divide(weights, total, out=np.zeros_like(weights), where=total != 0)


def _fixed_point(weights: Any) -> tuple[Any, int]:
    """int16-range weights and their precision bits (PyTorch's compute_index_ranges_int16_weights)."""
    bits = 0
    while bits < 21 and int(0.5 + weights.max() * (1 << (bits + 1))) < (1 << 15):
        bits += 1
    scaled = weights * (1 << bits)
    return np.trunc(np.where(scaled < 0, scaled - 0.5, scaled + 0.5)).astype(np.int64), bits


def _resize_axis(x: Any, size: int, out: int, scale_factor: float | None, align_corners: bool,
                 axis: int) -> Any:
    xp = backend.get_array_module(x)
    first, weights = _taps(size, out, scale_factor, align_corners)
    integer, bits = _fixed_point(weights)
    shape = [1] * x.ndim
    shape[axis] = out
    total: Any = (1 << bits) >> 1  # half of the last bit: rounds to nearest
    for tap in range(integer.shape[1]):
        where = [slice(None)] * x.ndim
        where[axis] = xp.asarray(np.minimum(first + tap, size - 1))
        total = total + x[tuple(where)].astype(np.int64) * xp.asarray(integer[:, tap]).reshape(shape)
    return xp.clip(total >> bits, 0, 255).astype(np.uint8)


def bilinear_uint8(x: Any, out: tuple[int, int], scales: tuple[Any, Any], align_corners: bool) -> Any:
    """The (N, C, Ho, Wo) uint8 array of a bilinear resize of the (N, C, H, W) uint8 array x."""
    resized = x
    for axis in (-1, -2):  # an axis that keeps its size is not resampled, as in PyTorch
        if out[axis + 2] != x.shape[axis]:
            resized = _resize_axis(resized, x.shape[axis], out[axis + 2], scales[axis + 2], align_corners,
                                   axis)
    return resized.copy() if resized is x else resized
