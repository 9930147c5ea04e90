"""Sampling an (N, C, H, W) image at arbitrary points, as torch.nn.functional.grid_sample, and
the affine grids of a spatial transformer (affine_grid).

Each output pixel reads the input at the grid's (x, y) in [-1, 1] (PyTorch's unnormalization,
padding and rounding rules): 'nearest' gathers one pixel, 'bilinear' its four neighbours with
weights; neighbours outside the image read zero. The input gradient scatter-adds back onto
those pixels; the grid gradient is the bilinear weights' derivative times each neighbour (zero
for 'nearest'), chained through the unnormalization and, for 'border' and 'reflection', the
clip and the reflection. The gathers work channels-last, (N, H·W, C), so each pick reads a row
of C values.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function

MODES = ("bilinear", "nearest")
PADDING_MODES = ("zeros", "border", "reflection")
_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since "
                  "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
                  "documentation of grid_sample for details.")


def _clip(coord: Any, size: int) -> tuple[Any, Any]:
    """coord clamped to [0, size - 1] (NaN to 0) and its derivative (0 on and beyond the
    borders), as PyTorch."""
    xp = backend.get_array_module(coord)
    inside = (coord > 0) & (coord < size - 1)
    return xp.where(xp.isnan(coord), 0, xp.clip(coord, 0, size - 1)), inside.astype(coord.dtype)


def _reflect(coord: Any, low: float, twice_span: float) -> tuple[Any, Any]:
    """coord reflected into [low, low + twice_span / 2] and its derivative (±1), in the steps of
    PyTorch's CPU kernel (so that points on a mirror land alike)."""
    xp = backend.get_array_module(coord)
    if twice_span <= 0:
        return xp.zeros_like(coord), xp.zeros_like(coord)
    shifted = coord - low
    distance = xp.abs(shifted)
    extra = distance - xp.trunc(distance / twice_span) * twice_span
    flipped = twice_span - extra
    further = extra > flipped
    sign = xp.where(further ^ (shifted < 0), -1, 1).astype(coord.dtype)
    return (xp.where(further, flipped, extra) + low).astype(coord.dtype), sign


def _fused(a: Any, b: Any, c: Any) -> Any:
    """a · b + c rounded once (a fused multiply-add, which PyTorch's CPU kernels compile to), for
    b of at most 26 significant bits (a small integer or size / 2): float32 through float64,
    float64 by Dekker's exact product and Knuth's two-sum."""
    xp = backend.get_array_module(a)
    dtype = np.result_type(a, b, c)
    if dtype != np.float64:
        return (xp.asarray(a, np.float64) * b + c).astype(dtype)
    product = a * b
    split = a * 134217729.0  # a = high + low, each with 26 bits: high · b and low · b are exact
    high = split - (split - a)
    product_error = (high * b - product) + (a - high) * b
    total = product + c
    back = total - product
    sum_error = (product - (total - back)) + (c - back)
    fused = total + (sum_error + product_error)
    return xp.where(xp.isfinite(fused), fused, total)


def _unnormalize(coord: Any, size: int, align_corners: bool) -> Any:
    """Pixel coordinates of grid values: (coord + 1) · (size - 1) / 2 at corners, else
    (coord + 1) · size / 2 - 0.5 rounded once, as PyTorch's CPU kernel: a grid point on a pixel
    centre (affine_grid's identity) then falls on the same side of it, which decides the
    one-sided grid gradient there."""
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return _fused(coord + 1, size / 2, -0.5)


def _source(coord: Any, size: int, padding_mode: str, align_corners: bool) -> tuple[Any, Any]:
    """Pixel coordinates of normalized grid values along one axis, and d(pixel)/d(grid)."""
    xp = backend.get_array_module(coord)
    pixel = _unnormalize(coord, size, align_corners)
    grad = xp.full_like(coord, (size - 1) / 2 if align_corners else size / 2)
    if padding_mode == "border":
        pixel, factor = _clip(pixel, size)
        grad *= factor
    elif padding_mode == "reflection":
        pixel, factor = _reflect(pixel, 0.0, 2 * (size - 1)) if align_corners else \
            _reflect(pixel, -0.5, 2 * size)
        grad *= factor
        pixel, factor = _clip(pixel, size)
        grad *= factor
    return pixel, grad


class GridSample(Function):
    """Samples input (N, C, H, W) at grid (N, Ho, Wo, 2) -> (N, C, Ho, Wo); keeps its settings
    for the ONNX export."""

    def forward(self, x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
        self.mode, self.padding_mode, self.align_corners = mode, padding_mode, align_corners
        n, channels, height, width = x.shape
        out_h, out_w = grid.shape[1:3]
        self.x_shape, self.grid_shape = x.shape, grid.shape
        self.x = x.transpose(0, 2, 3, 1).reshape(n, height * width, channels)  # (N, H·W, C)
        self.grid = grid
        self.corners = self._corners(grid)
        out = sum(self._gather(flat, valid) * weight[..., None] for flat, valid, weight in self.corners)
        if self.mode == "bilinear" and self.lost.any():
            out[self.lost] = np.nan
        return out.reshape(n, out_h, out_w, channels).transpose(0, 3, 1, 2)

    def _corners(self, grid: Any) -> list[tuple[Any, Any, Any]]:
        """(flat index into H·W, inside the image, weight) of each pixel an output reads, each
        (N, Ho·Wo); `self.pixels` keeps the bilinear neighbours' offsets for the grid gradient."""
        xp = backend.get_array_module(grid)
        n = grid.shape[0]
        height, width = self.x_shape[2:]
        coords = grid.reshape(n, -1, 2)
        with np.errstate(invalid="ignore"):
            ix, self.dix = _source(coords[..., 0], width, self.padding_mode, self.align_corners)
            iy, self.diy = _source(coords[..., 1], height, self.padding_mode, self.align_corners)
        # only 'zeros' padding leaves a point at inf or NaN: it reads nothing ('nearest') or
        # gives NaN ('bilinear'), as PyTorch
        self.lost = ~(xp.isfinite(ix) & xp.isfinite(iy))
        ix, iy = xp.where(self.lost, -2, ix), xp.where(self.lost, -2, iy)
        if self.mode == "nearest":
            picks = [(xp.rint(iy).astype(np.int64), xp.rint(ix).astype(np.int64), xp.ones_like(ix))]
        else:
            x0, y0 = xp.floor(ix), xp.floor(iy)
            east, south = ix - x0, iy - y0  # the share of the right and lower neighbours
            west, north = 1 - east, 1 - south
            self.pixels = (east, west, south, north)
            x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
            picks = [(y0, x0, north * west), (y0, x0 + 1, north * east),
                     (y0 + 1, x0, south * west), (y0 + 1, x0 + 1, south * east)]
        corners = []
        for row, col, weight in picks:
            valid = (row >= 0) & (row < height) & (col >= 0) & (col < width)
            corners.append((xp.where(valid, row * width + col, 0), valid, weight))
        return corners

    def _gather(self, flat: Any, valid: Any) -> Any:
        """The (N, Ho·Wo, C) input rows at `flat`, zero where the pixel is outside the image."""
        xp = backend.get_array_module(self.x)
        rows = self.x[xp.arange(flat.shape[0])[:, None], flat]
        return xp.where(valid[..., None], rows, 0)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        n, channels, out_h, out_w = grad_output.shape
        grad = grad_output.transpose(0, 2, 3, 1).reshape(n, out_h * out_w, channels)
        grad_x = grad_grid = None
        if self.needs_input_grad[0]:
            height, width = self.x_shape[2:]
            # one bincount over every (pixel, channel) of all four corners: a scatter-add
            # several times faster than add.at
            pixels = xp.arange(n)[:, None] * (height * width)
            targets = [((pixels + flat)[..., None] * channels + xp.arange(channels)).reshape(-1)
                       for flat, _, _ in self.corners]
            parts = [xp.where(valid[..., None], grad * weight[..., None], 0).reshape(-1)
                     for _, valid, weight in self.corners]
            grad_x = xp.bincount(xp.concatenate(targets), xp.concatenate(parts),
                                 minlength=n * height * width * channels).astype(grad.dtype)
            grad_x = grad_x.reshape(n, height, width, channels).transpose(0, 3, 1, 2)
        if len(self.needs_input_grad) > 1 and self.needs_input_grad[1]:
            grad_grid = xp.zeros(self.grid_shape, dtype=grad.dtype).reshape(n, -1, 2)
            if self.mode == "bilinear":
                east, west, south, north = self.pixels
                values = [(self._gather(flat, valid) * grad).sum(-1) for flat, valid, _ in self.corners]
                nw, ne, sw, se = values
                grad_grid[..., 0] = ((ne - nw) * north + (se - sw) * south) * self.dix
                grad_grid[..., 1] = ((sw - nw) * west + (se - ne) * east) * self.diy
            grad_grid = grad_grid.reshape(self.grid_shape)
        return grad_x, grad_grid


def grid_sample(input: Any, grid: Any, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """input (N, C, H, W) read at grid (N, Ho, Wo, 2) of (x, y) in [-1, 1] -> (N, C, Ho, Wo).

    mode 'bilinear' or 'nearest' (round half to even); padding_mode 'zeros', 'border' or
    'reflection' decides what points outside the image read. align_corners=None means False,
    with PyTorch's warning. npnn samples 4-D inputs only (no 5-D volumes) and has no 'bicubic'.
    """
    x, grid = to_tensor(input), to_tensor(grid)
    if mode not in (*MODES, "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
                         f"'bicubic', but got: '{mode}'")
    if padding_mode not in PADDING_MODES:
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', "
                         f"or 'reflection', but got: '{padding_mode}'")
    if mode == "bicubic":
        raise NotImplementedError("grid_sample: mode='bicubic' is not implemented in npnn; use "
                                  "'bilinear' or 'nearest'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
    _check(x, grid)
    return GridSample.apply(x, grid, mode=mode, padding_mode=padding_mode,
                            align_corners=bool(align_corners))


def _check(x: Tensor, grid: Tensor) -> None:
    sizes = f"input with sizes {list(x.shape)} and grid with sizes {list(grid.shape)}"
    if x.ndim == 5 and grid.ndim == 5:
        raise NotImplementedError("grid_sample: 5-D (volumetric) inputs are not supported in npnn; "
                                  "sample each depth slice as a 4-D (N, C, H, W) image")
    if x.ndim != 4 or grid.ndim != 4:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of "
                           f"dimensions, but got {sizes}; give input (N, C, H, W) and grid (N, Ho, Wo, 2)")
    if x.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got "
                           f"{sizes}")
    if grid.shape[-1] != 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 2 in last dimension, but got "
                           f"grid with sizes {list(grid.shape)}")
    for axis in (2, 3):
        if x.shape[axis] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, "
                               f"but input has sizes {list(x.shape)} with dimension {axis} being empty")
    if x.dtype.kind != "f" or grid.dtype.kind != "f":
        raise NotImplementedError(f"grid_sample: input and grid must be floating point, got {x.dtype} "
                                  f"and {grid.dtype}; cast them with .float()")
    if x.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {_torch_name(x.dtype)} but found "
                           f"{_torch_name(grid.dtype)}: cast the grid with .to(input.dtype)")


def _torch_name(dtype: Any) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half"}.get(np.dtype(dtype).name, str(dtype))


def _linspace(steps: int, align_corners: bool, dtype: Any) -> Any:
    """PyTorch's base coordinates along one axis, -1 .. 1 at pixel corners or centres, to the
    bit: its linspace counts the first half up from -1 and the second down from 1, each point a
    fused multiply-add."""
    dtype = np.dtype(dtype)
    if steps <= 1:
        return np.zeros(max(steps, 1), dtype=dtype)
    step = dtype.type(2) / dtype.type(steps - 1)
    index = np.arange(steps)
    up = index < steps // 2
    count = np.where(up, index, steps - 1 - index).astype(dtype)
    points = _fused(np.where(up, step, -step).astype(dtype), count, np.where(up, -1, 1).astype(dtype))
    return points if align_corners else points * dtype.type(steps - 1) / dtype.type(steps)


def affine_grid(theta: Any, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """The (N, H, W, 2) sampling grid of the affine maps theta (N, 2, 3) for an output of
    size (N, C, H, W): each output pixel's normalized (x, y, 1) times theta's rows. As PyTorch,
    align_corners=None means False, with its warning. npnn has 2-D (4-D size) grids only."""
    theta = to_tensor(theta)
    if theta.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {_torch_dtype(theta.dtype)}; "
                         "cast it with .float()")
    given, size = size, tuple(size)  # messages show the size as given, as PyTorch's
    if len(size) == 5:
        raise NotImplementedError("affine_grid: 3-D affine grids (a 5-D size) are not supported in npnn; "
                                  "give a 4-D size (N, C, H, W)")
    if len(size) != 4:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine "
                                  f"transforms, respectively. Got size {given}.")
    if theta.ndim != 3 or theta.shape[1:] != (2, 3):
        raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {given}. Got "
                         f"npnn.Size({list(theta.shape)}).")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {given}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"affine_grid: theta holds {theta.shape[0]} matrices but size asks for a "
                           f"batch of {size[0]}; give one 2x3 matrix per sample")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
    elif align_corners and min(size[2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the "
                      "documentation of affine_grid for details.", UserWarning, stacklevel=2)
    height, width = size[2:]
    base = np.ones((height, width, 3), dtype=theta.dtype)
    base[..., 0] = _linspace(width, bool(align_corners), theta.dtype)
    base[..., 1] = _linspace(height, bool(align_corners), theta.dtype)[:, None]
    base = backend.to_device(base.reshape(height * width, 3), backend.device_of(theta.array))
    grid = Tensor(base) @ theta.transpose(1, 2)  # (N, H·W, 2)
    return grid.reshape(size[0], height, width, 2)


def _torch_dtype(dtype: Any) -> str:
    return f"npnn.{np.dtype(dtype).name}"
