"""Counting and binning with PyTorch's names: bincount, histc, histogram, searchsorted,
bucketize. Their results are counts or indices, so they make no graph (as PyTorch's)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.dtypes import torch_name


def bincount(input: Any, weights: Any = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, ... occurs in a 1-D tensor of non-negative ints (or the sum of
    `weights` there, as float64 unless weights are float32); at least `minlength` bins."""
    input = to_tensor(input)
    if input.dtype.kind not in "biu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{torch_name(input.dtype)}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    xp = backend.get_array_module(input.array)
    if input.ndim != 1 or (input.numel() and int(input.array.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return Tensor(xp.bincount(input.array, minlength=minlength).astype(np.int64))
    weights = to_tensor(weights).array
    if weights.shape != input.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    dtype = np.float32 if weights.dtype == np.float32 else np.float64
    return Tensor(xp.bincount(input.array, weights=weights, minlength=minlength).astype(dtype))


def histc(input: Any, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """Counts in `bins` equal bins over [min, max] (the data's range when min == max); values
    outside are left out. The counts have input's (floating) dtype."""
    input = to_tensor(input)
    if input.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{torch_name(input.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    values = backend.to_numpy(input.array).reshape(-1)
    low, high = float(min), float(max)
    if low == high and values.size:
        low, high = float(values.min()), float(values.max())
    if low == high:
        low, high = low - 1, high + 1
    if low > high:
        raise RuntimeError("torch.histc: max must be larger than min")
    if not (np.isfinite(low) and np.isfinite(high)):
        raise RuntimeError(f"torch.histc: range of [{low}, {high}] is not finite")
    dtype = input.dtype.type
    inside = values[(values >= dtype(low)) & (values <= dtype(high))]
    # PyTorch's arithmetic, in input's dtype: bin = (x - min) * bins / (max - min), the top edge in the last
    position = ((inside - dtype(low)) * dtype(bins) / (dtype(high) - dtype(low))).astype(np.int64)
    counts = np.bincount(np.minimum(position, bins - 1), minlength=bins).astype(input.dtype)
    return Tensor(backend.get_array_module(input.array).asarray(counts))


class HistogramResult(NamedTuple):
    """(hist, bin_edges), as torch.return_types.histogram."""

    hist: Tensor
    bin_edges: Tensor


def histogram(input: Any, bins: Any = 100, *, range: tuple[float, float] | None = None,
              weight: Any = None, density: bool = False) -> HistogramResult:
    """Counts (or `weight` sums, or a density) in `bins` equal bins or between given edges,
    with the edges; NumPy's np.histogram, results in input's floating dtype."""
    input = to_tensor(input)
    if input.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{torch_name(input.dtype)}'")
    values = backend.to_numpy(input.array).reshape(-1)
    edges = bins if isinstance(bins, int) else backend.to_numpy(to_tensor(bins).array)
    weights = None if weight is None else backend.to_numpy(to_tensor(weight).array).reshape(-1)
    hist, edges = np.histogram(values, edges, range=range, weights=weights, density=density)
    return HistogramResult(Tensor(hist.astype(input.dtype)), Tensor(edges.astype(input.dtype)))


def searchsorted(sorted_sequence: Any, input: Any, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter: Any = None) -> Tensor:
    """Where each value of input would be inserted to keep `sorted_sequence` (its last dim) in
    order: the first such place, or the last with right=True / side='right'."""
    boundaries = to_tensor(sorted_sequence)
    scalar = not isinstance(input, Tensor)
    values = to_tensor(input, like=(boundaries,))
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side "
                               "of left while right was True")
        right = side == "right"
    order = None if sorter is None else backend.to_numpy(to_tensor(sorter).array)
    edges = backend.to_numpy(boundaries.array)
    if order is not None:
        edges = np.take_along_axis(edges, order, axis=-1)
    points = backend.to_numpy(values.array)
    which = "right" if right else "left"
    if edges.ndim == 1:
        out = np.searchsorted(edges, points, side=which)
    else:
        if scalar or points.shape[:-1] != edges.shape[:-1]:
            raise RuntimeError(
                f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                f"dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor {list(edges.shape)} and input value tensor {list(points.shape)}")
        rows_e = edges.reshape(-1, edges.shape[-1])
        rows_p = points.reshape(-1, points.shape[-1])
        out = np.stack([np.searchsorted(e, p, side=which) for e, p in zip(rows_e, rows_p, strict=True)])
        out = out.reshape(points.shape)
    out = np.asarray(out, dtype=np.int32 if out_int32 else np.int64)
    if points.dtype.kind == "f":  # PyTorch puts a NaN value after every boundary (NumPy: before a NaN one)
        out[np.isnan(points)] = edges.shape[-1]
    return Tensor(backend.get_array_module(boundaries.array).asarray(out))


def bucketize(input: Any, boundaries: Any, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value between 1-D sorted `boundaries`: i with b[i-1] < x <= b[i]
    (b[i-1] <= x < b[i] with right=True)."""
    boundaries = to_tensor(boundaries)
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)
