"""Resizing (N, C, H, W) images, as torch.nn.functional.interpolate's 'nearest' and 'bilinear'
(and (N, C, L) sequences by 'nearest' and 'linear', as images of height 1).

Both modes resize each axis on its own by gathering source pixels: 'nearest' one index per
output position, 'bilinear' the two neighbours and the second one's share. The gradient
scatter-adds back to the picked positions. Memory is that of the output, and an inf or NaN
reaches only the outputs that read it, as in PyTorch. The source positions follow PyTorch's
CPU kernels (its index rules and the float types of their arithmetic), so the same
pixels are picked at non-integer scale factors. Bilinear resizes of small images multiply by
the two small (out, in) weight matrices instead, which is faster, and fall back to the gathers
when the result is not finite.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.interpolate_uint8 import bilinear_uint8

MODES = ("nearest", "linear", "bilinear")
_DENSE = 1 << 16  # the most entries of a per-axis weight matrix that bilinear multiplies by
# torch's names of the integer dtypes its resize kernels refuse
_TORCH_NAMES = {"int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long", "bool": "Bool"}


def _take(x: Any, index: Any, axis: int) -> Any:
    where = [slice(None)] * x.ndim
    where[axis] = index
    return x[tuple(where)]


def _scatter_axis(grad: Any, index: Any, size: int, axis: int) -> Any:
    """The sum of grad's slices along `axis` at each position of `index` (non-decreasing), as a
    length-`size` axis; positions no output read get zero. Input i is read by the run of outputs
    starting at starts[i], so the sum is a few gathers (strided views for whole factors), one per
    place in the runs, not a scatter-add."""
    xp = backend.get_array_module(grad)
    counts = np.bincount(index, minlength=size)
    starts = np.cumsum(counts) - counts
    runs = int(counts.max())
    if np.all(counts == runs):  # every input read by the same number of outputs: strided views
        parts = [_take(grad, slice(j, None, runs), axis) for j in range(runs)]
        out = parts[0].copy()
        for part in parts[1:]:
            out += part
        return out
    shape = list(grad.shape)
    shape[axis] = size
    out = xp.zeros(shape, dtype=grad.dtype)
    for j in range(runs):
        hit = np.flatnonzero(counts > j)
        where = [slice(None)] * grad.ndim
        where[axis] = xp.asarray(hit)
        out[tuple(where)] += _take(grad, xp.asarray(starts[hit] + j), axis)
    return out


def _uniform(pick: tuple[Any, ...], size: int) -> bool:
    """Whether every input is read by the same number of outputs (nearest by a whole factor)."""
    if len(pick) != 1:
        return False
    counts = np.bincount(pick[0], minlength=size)
    return bool(np.all(counts == counts[0]))


def _dense(pick: tuple[Any, ...], size: int) -> Any:
    """The (out, size) matrix of a pick: each row's one or two weights."""
    first, second, weight = pick if len(pick) == 3 else (pick[0], pick[0], np.zeros(len(pick[0])))
    matrix = np.zeros((len(first), size), dtype=weight.dtype)
    rows = np.arange(len(first))
    np.add.at(matrix, (rows, first), 1 - weight)
    np.add.at(matrix, (rows, second), weight)
    return matrix


def _all_finite(array: Any) -> bool:
    """Whether no element is inf or NaN, by the sum (no mask): a sum that overflows only sends
    a finite array down the slower exact path."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(backend.get_array_module(array).isfinite(array.sum()))


def _shape_along(weight: Any, axis: int, ndim: int) -> Any:
    shape = [1] * ndim
    shape[axis] = len(weight)
    return weight.reshape(shape)


class Interpolate(Function):
    """Resize of the last two dims by per-axis picks: rows/cols are (index,) for 'nearest' or
    (first, second, weight) for 'bilinear' and 'linear' (out = first · (1 - weight) + second · weight).
    Keeps its mode and scale factors for the ONNX export (npnn.onnx.layers)."""

    def forward(self, x, rows=None, cols=None, mode="nearest", align_corners=False, scales=(None, None)):
        self.sizes, self.indices = x.shape[-2:], (rows, cols)  # the indices on the host, for backward
        device = backend.device_of(x)
        self.picks = [tuple(backend.to_device(p.astype(x.dtype) if p.dtype.kind == "f" else p, device)
                            for p in pick) for pick in (rows, cols)]
        self.dense = None
        entries = max(pick[0].size * size for pick, size in zip((rows, cols), self.sizes, strict=True))
        if entries <= _DENSE and np.dtype(x.dtype).kind == "f" and (
                mode != "nearest" or not all(map(_uniform, (rows, cols), self.sizes))):
            # small images: products with the two (out, in) weight matrices are faster than
            # gathers (bilinear) and than uneven scatters (nearest's backward), and exact while
            # everything is finite (else the gathers redo it)
            self.dense = [backend.to_device(_dense(pick, size).astype(x.dtype), device)
                          for pick, size in zip((rows, cols), self.sizes, strict=True)]
        if self.dense is not None and mode != "nearest":
            with np.errstate(invalid="ignore", over="ignore"):
                out = self.dense[0] @ (x @ self.dense[1].T)
            if _all_finite(out):
                return out
        # the width first, then the height: PyTorch's order of the bilinear sums
        return self._resize(self._resize(x, -1), -2)

    def _resize(self, x: Any, axis: int) -> Any:
        pick = self.picks[axis + 2]
        if len(pick) == 1:
            return _take(x, pick[0], axis)
        first, second, weight = pick
        weight = _shape_along(weight, axis, x.ndim)
        with np.errstate(invalid="ignore"):  # inf · 0 is NaN, as in PyTorch
            return _take(x, first, axis) * (1 - weight) + _take(x, second, axis) * weight

    def backward(self, grad_output):
        if self.dense is not None:
            with np.errstate(invalid="ignore", over="ignore"):
                grad = self.dense[0].T @ (grad_output @ self.dense[1])
            if _all_finite(grad):
                return grad
        grad = grad_output
        for axis in (-2, -1):
            pick, size, host = self.picks[axis + 2], self.sizes[axis], self.indices[axis + 2]
            if len(pick) == 1:
                grad = _scatter_axis(grad, host[0], size, axis)
            else:
                first, second, weight = host[0], host[1], pick[2]
                weight = _shape_along(weight, axis, grad.ndim)
                with np.errstate(invalid="ignore"):
                    grad = _scatter_axis(grad * (1 - weight), first, size, axis) + \
                        _scatter_axis(grad * weight, second, size, axis)
        return grad


def _float_type(dtype: Any) -> np.dtype:
    """PyTorch's arithmetic type for the source positions: the input's float type, else float32."""
    return np.dtype(dtype) if np.dtype(dtype).kind == "f" else np.dtype(np.float32)


def _nearest_pick(size: int, out: int, scale_factor: float | None, dtype: Any) -> tuple[Any]:
    """Output o copies input min(floor(o · scale), size - 1), scale = 1/scale_factor or
    size/out. PyTorch (CPU, measured) multiplies in float32, except for float64 input resized to
    more than 128 positions, where it multiplies in float64 and rounds the product to float32."""
    if out == size:
        return (np.arange(out),)
    if out == 2 * size:
        return (np.arange(out) >> 1,)
    ftype = np.float64 if np.dtype(dtype) == np.float64 and out > 128 else np.float32
    scale = ftype(1.0 / scale_factor) if scale_factor else ftype(size) / ftype(out)
    products = (np.arange(out).astype(ftype) * scale).astype(np.float32)
    return (np.minimum(np.floor(products).astype(np.int64), size - 1),)


def _linear_pick(size: int, out: int, scale_factor: float | None, align_corners: bool,
                 dtype: Any) -> tuple[Any, Any, Any]:
    """Output o mixes the two inputs around its source position (PyTorch's
    area_pixel_compute_source_index: o · (size-1)/(out-1) with align_corners, else
    max((o + 0.5) · scale - 0.5, 0)), by the distances to them."""
    dtype = _float_type(dtype)
    if out == size:  # each output its own input, whatever the scale factor; PyTorch still
        return np.arange(out), np.arange(out), np.zeros(out, dtype)  # adds it · 0 (inf -> NaN)
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
    return first, second, weight


def _check_dtype(dtype: Any, mode: str, ndim: int) -> None:
    """PyTorch resizes float input, and uint8 by 'nearest' and 'bilinear' (not 'linear')."""
    dtype = np.dtype(dtype)
    if dtype.kind in "fc" or (dtype == np.uint8 and mode == "nearest"):
        return
    if dtype == np.uint8 and mode == "bilinear" and ndim == 4:
        return
    kernel = {"nearest": "upsample_nearest2d_channels_last", "bilinear": "upsample_bilinear2d_channels_last",
              "linear": "compute_indices_weights_linear"}[mode]
    if mode != "nearest" and ndim == 3:
        kernel = "compute_indices_weights_linear"
    name = "Byte" if dtype == np.uint8 else _TORCH_NAMES.get(dtype.name, dtype.name)
    raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')


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
    _check_dtype(x.dtype, mode, x.ndim)
    if align_corners is not None and mode == "nearest":
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if mode == "linear" and x.ndim != 3:
        raise NotImplementedError(f"Got {x.ndim}D input, but linear mode needs 3D input")
    if x.ndim == 3 and mode != "bilinear":  # (N, C, L): an image of height 1, kept as it is
        size_, factor = (None if v is None else (1, _one(v)) for v in (size, scale_factor))
        return _resize(x.unsqueeze(2), size_, factor, mode, align_corners, recompute_scale_factor,
                       antialias).squeeze(2)
    if x.ndim != 4:
        if mode == "bilinear":
            raise NotImplementedError(f"Got {x.ndim}D input, but bilinear mode needs 4D input")
        raise NotImplementedError(f"interpolate: npnn supports 3-D (N, C, L) and 4-D (N, C, H, W) input, "
                                  f"got {x.ndim}-D")
    return _resize(x, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias)


def _resize(x: Tensor, size: Any, scale_factor: Any, mode: str, align_corners: bool | None,
            recompute_scale_factor: bool | None, antialias: bool) -> Tensor:
    """interpolate of an (N, C, H, W) tensor; mode 'linear' for a sequence as an image of height 1."""
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not implemented in npnn")
    if size is not None and recompute_scale_factor:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
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
    if mode == "bilinear" and x.dtype == np.uint8:  # no gradient: fixed point, as PyTorch
        return Tensor(bilinear_uint8(x.array, out, scales, bool(align_corners)))
    if mode == "nearest":
        rows, cols = (_nearest_pick(in_size[a], out[a], scales[a], x.dtype) for a in (0, 1))
    else:
        rows, cols = (_linear_pick(in_size[a], out[a], scales[a], bool(align_corners), x.dtype)
                      for a in (0, 1))
        if mode == "linear":  # the height of 1 is no axis of PyTorch's: nothing mixed along it
            rows = (np.zeros(1, dtype=np.int64),)
    return Interpolate.apply(x, rows=rows, cols=cols, mode=mode, align_corners=bool(align_corners),
                             scales=scales)
