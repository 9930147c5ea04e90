"""torchvision.transforms.functional's geometry and colour for npnn: PIL Images go through Pillow's
own operations, tensors (C×H×W, or ...×C×H×W where NumPy allows) through NumPy here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import Enum
from typing import Any

import numpy as np

from npnn._tensor import Tensor
from npnn.creation import as_tensor
from npnn.vision.pil import is_pil_image


class InterpolationMode(Enum):
    """The interpolations npnn's tensor transforms implement (torchvision's names and values)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


def interpolation_mode(mode: Any) -> InterpolationMode:
    """An InterpolationMode from one, its name ("bilinear"), or Pillow's int (0 nearest, 2 bilinear)."""
    if isinstance(mode, int) and not isinstance(mode, bool):
        mode = {0: "nearest", 2: "bilinear"}.get(mode, mode)
    try:
        return InterpolationMode(mode.value if isinstance(mode, Enum) else mode)
    except ValueError:
        raise ValueError("npnn implements interpolation 'nearest' and 'bilinear' only, "
                         f"got {mode!r}") from None


def _pil_resample(mode: InterpolationMode) -> int:
    from PIL import Image  # lazy: Pillow's boundary (the image is already a PIL Image)

    return Image.NEAREST if mode is InterpolationMode.NEAREST else Image.BILINEAR


def _array(img: Tensor) -> np.ndarray:
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    if img.ndim < 2:
        raise ValueError(f"Expected tensor image of at least 2 dimensions (..., H, W), got {img.ndim}")
    return np.asarray(img.array)


def get_dimensions(img: Any) -> tuple[int, int, int]:
    """(channels, height, width)."""
    if is_pil_image(img):
        return len(img.getbands()), img.height, img.width
    array = _array(img)
    return (1 if array.ndim == 2 else array.shape[-3]), array.shape[-2], array.shape[-1]


def hflip(img: Any) -> Any:
    if is_pil_image(img):
        return img.transpose(0)  # Image.FLIP_LEFT_RIGHT
    return as_tensor(np.ascontiguousarray(_array(img)[..., ::-1]))


def vflip(img: Any) -> Any:
    if is_pil_image(img):
        return img.transpose(1)  # Image.FLIP_TOP_BOTTOM
    return as_tensor(np.ascontiguousarray(_array(img)[..., ::-1, :]))


def pad(img: Any, padding: int | Sequence[int], fill: float = 0, padding_mode: str = "constant") -> Any:
    """Pad by padding (all sides), (left/right, top/bottom) or (left, top, right, bottom)."""
    pads = [padding] * 4 if isinstance(padding, int) else list(padding)
    if len(pads) == 1:
        pads = pads * 4
    elif len(pads) == 2:
        pads = pads * 2
    if len(pads) != 4:
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(pads)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = pads
    pil = is_pil_image(img)
    array = np.asarray(img) if pil else _array(img)
    crop = [slice(None)] * array.ndim
    hw = (-3, -2) if pil and array.ndim == 3 else (-2, -1)
    for axis, before, after in ((hw[0], top, bottom), (hw[1], left, right)):  # negative pads crop
        crop[axis] = slice(max(-before, 0), array.shape[axis] - max(-after, 0))
    array = array[tuple(crop)]
    widths = [(0, 0)] * array.ndim
    widths[hw[0]], widths[hw[1]] = (max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))
    if padding_mode == "constant":
        out = np.pad(array, widths, mode="constant", constant_values=np.asarray(fill).astype(array.dtype))
    else:
        out = np.pad(array, widths, mode=padding_mode)
    if pil:
        from PIL import Image  # lazy: Pillow's boundary

        return Image.fromarray(out).convert(img.mode) if img.mode != "P" else Image.fromarray(out)
    return as_tensor(out)


def crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """The height×width window at (top, left); outside the image is zero-padded, as torchvision's."""
    if is_pil_image(img):
        return img.crop((left, top, left + width, top + height))
    _, h, w = get_dimensions(img)
    if left < 0 or top < 0 or top + height > h or left + width > w:
        img = pad(img, [max(-left, 0), max(-top, 0), max(left + width - w, 0), max(top + height - h, 0)])
        top, left = max(top, 0), max(left, 0)
    return as_tensor(np.ascontiguousarray(_array(img)[..., top:top + height, left:left + width]))


def center_crop(img: Any, output_size: int | Sequence[int]) -> Any:
    oh, ow = _pair(output_size)
    _, h, w = get_dimensions(img)
    if ow > w or oh > h:
        img = pad(img, [(ow - w) // 2 if ow > w else 0, (oh - h) // 2 if oh > h else 0,
                        (ow - w + 1) // 2 if ow > w else 0, (oh - h + 1) // 2 if oh > h else 0])
        _, h, w = get_dimensions(img)
        if ow == w and oh == h:
            return img
    return crop(img, round((h - oh) / 2.0), round((w - ow) / 2.0), oh, ow)


def _pair(size: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    if len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    return int(size[0]), int(size[1])


def resized_size(h: int, w: int, size: int | Sequence[int], max_size: int | None) -> tuple[int, int]:
    """torchvision's output size: an int (or 1-sequence) sets the smaller edge, keeping the aspect."""
    if not isinstance(size, int) and len(size) == 2:
        return int(size[0]), int(size[1])
    requested = size if isinstance(size, int) else size[0]
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = requested, int(requested * long / short)
    if max_size is not None and new_long > max_size:
        new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_long, new_short) if w <= h else (new_short, new_long)


def _weights(in_size: int, out_size: int, mode: InterpolationMode, antialias: bool) -> np.ndarray:
    """out×in interpolation matrix along one axis (half-pixel centres, as PyTorch's align_corners=False)."""
    scale = in_size / out_size
    centres = (np.arange(out_size) + 0.5) * scale
    matrix = np.zeros((out_size, in_size))
    if mode is InterpolationMode.NEAREST:
        nearest = np.minimum(np.floor(np.arange(out_size) * scale).astype(int), in_size - 1)
        matrix[np.arange(out_size), nearest] = 1
        return matrix
    if antialias and scale > 1:  # Pillow's (and PyTorch's antialias) triangle filter over `scale` pixels
        distance = np.abs(np.arange(in_size)[None, :] + 0.5 - centres[:, None]) / scale
        matrix = np.maximum(0.0, 1.0 - distance)
        return matrix / matrix.sum(axis=1, keepdims=True)
    source = np.maximum(centres - 0.5, 0.0)
    low = np.minimum(np.floor(source).astype(int), in_size - 1)
    high = np.minimum(low + 1, in_size - 1)
    frac = source - low
    rows = np.arange(out_size)
    np.add.at(matrix, (rows, low), 1 - frac)
    np.add.at(matrix, (rows, high), frac)
    return matrix


def resize(img: Any, size: int | Sequence[int], interpolation: Any = InterpolationMode.BILINEAR,
           max_size: int | None = None, antialias: bool | None = True) -> Any:
    mode = interpolation_mode(interpolation)
    _, h, w = get_dimensions(img)
    oh, ow = resized_size(h, w, size, max_size)
    if is_pil_image(img):
        return img if (oh, ow) == (h, w) else img.resize((ow, oh), _pil_resample(mode))
    array = _array(img)
    if (oh, ow) == (h, w):
        return as_tensor(array.copy())
    work = array.astype(np.float64)
    rows, cols = (_weights(n, o, mode, bool(antialias)) for n, o in ((h, oh), (w, ow)))
    out = np.einsum("oh,...hw,pw->...op", rows, work, cols)
    if array.dtype.kind in "ui":
        info = np.iinfo(array.dtype)
        out = np.clip(np.round(out), info.min, info.max)
    return as_tensor(out.astype(array.dtype))


def inverse_affine_matrix(center: Sequence[float], angle: float, translate: Sequence[float], scale: float,
                          shear: Sequence[float]) -> list[float]:
    """torchvision's inverse of rotate-scale-shear about `center` then translate (output -> input)."""
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    (cx, cy), (tx, ty) = center, translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def _warp(img: Tensor, matrix: list[float], out_hw: tuple[int, int], mode: InterpolationMode,
          fill: Any) -> Tensor:
    """Sample the input at `matrix` · (output pixel centre, relative to the output's centre)."""
    array = _array(img)
    h, w = array.shape[-2:]
    oh, ow = out_hw
    y, x = np.meshgrid(np.arange(oh) - oh / 2 + 0.5, np.arange(ow) - ow / 2 + 0.5, indexing="ij")
    sx = matrix[0] * x + matrix[1] * y + matrix[2] + w / 2 - 0.5
    sy = matrix[3] * x + matrix[4] * y + matrix[5] + h / 2 - 0.5
    padded = np.pad(array.astype(np.float64), [(0, 0)] * (array.ndim - 2) + [(1, 1), (1, 1)])
    mask = np.pad(np.ones((h, w)), 1)

    def sample(source: np.ndarray) -> np.ndarray:
        if mode is InterpolationMode.NEAREST:
            iy = np.clip(np.rint(sy).astype(int) + 1, 0, h + 1)
            ix = np.clip(np.rint(sx).astype(int) + 1, 0, w + 1)
            return source[..., iy, ix]
        y0, x0 = np.floor(sy), np.floor(sx)
        fy, fx = sy - y0, sx - x0
        y0, x0 = y0.astype(int) + 1, x0.astype(int) + 1  # +1: the zero border of `padded`
        y1, x1 = np.clip(y0 + 1, 0, h + 1), np.clip(x0 + 1, 0, w + 1)
        y0, x0 = np.clip(y0, 0, h + 1), np.clip(x0, 0, w + 1)
        return (source[..., y0, x0] * (1 - fy) * (1 - fx) + source[..., y0, x1] * (1 - fy) * fx
                + source[..., y1, x0] * fy * (1 - fx) + source[..., y1, x1] * fy * fx)

    out, weight = sample(padded), sample(mask)
    if fill is not None:
        fill_values = np.asarray(fill, np.float64).reshape(-1, 1, 1) if np.ndim(fill) else np.float64(fill)
        if mode is InterpolationMode.NEAREST:
            out = np.where(weight < 0.5, fill_values, out)
        else:
            out = out * weight + (1 - weight) * fill_values
    if array.dtype.kind in "ui":
        out = np.round(out)
    return as_tensor(out.astype(array.dtype))


def affine(img: Any, angle: float, translate: Sequence[float], scale: float, shear: Sequence[float],
           interpolation: Any = InterpolationMode.NEAREST, fill: Any = None,
           center: Sequence[float] | None = None) -> Any:
    """Rotate `angle` degrees clockwise (torchvision's convention), scale and shear about `center`
    (the image centre), then translate."""
    mode = interpolation_mode(interpolation)
    _, h, w = get_dimensions(img)
    if isinstance(shear, (int, float)):
        shear = [shear]
    shear = [float(s) for s in shear] + [0.0] * (2 - len(shear))
    if is_pil_image(img):
        from PIL import Image  # lazy: Pillow's boundary

        centre = center if center is not None else (w * 0.5, h * 0.5)
        matrix = inverse_affine_matrix(centre, angle, translate, scale, shear)
        fillcolor = fill if fill is None or np.ndim(fill) == 0 or len(fill) > 1 else fill[0]
        return img.transform((w, h), Image.AFFINE, matrix, _pil_resample(mode), fillcolor=fillcolor)
    centre = [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, (w, h), strict=True)]
    translate = [float(t) for t in translate]
    return _warp(img, inverse_affine_matrix(centre, angle, translate, scale, shear), (h, w), mode, fill)


def rotate(img: Any, angle: float, interpolation: Any = InterpolationMode.NEAREST, expand: bool = False,
           center: Sequence[float] | None = None, fill: Any = None) -> Any:
    """Rotate `angle` degrees anticlockwise; `expand` grows the output to hold the whole rotated image."""
    mode = interpolation_mode(interpolation)
    if is_pil_image(img):
        fillcolor = fill if fill is None or np.ndim(fill) == 0 or len(fill) > 1 else fill[0]
        return img.rotate(angle, _pil_resample(mode), expand, center, fillcolor=fillcolor)
    _, h, w = get_dimensions(img)
    centre = [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, (w, h), strict=True)]
    matrix = inverse_affine_matrix(centre, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    out_hw = (h, w)
    if expand:
        corners = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                            [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]])
        moved = corners @ np.array(matrix).reshape(2, 3).T
        tol = 1e-4
        size = np.ceil(np.trunc(moved.max(0) / tol) * tol) - np.floor(np.trunc(moved.min(0) / tol) * tol)
        out_hw = (int(size[1]), int(size[0]))
    return _warp(img, matrix, out_hw, mode, fill)
