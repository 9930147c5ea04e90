"""torchvision's RandomResizedCrop and GaussianBlur (v1), on PIL Images and C×H×W tensors.

Random parameters come from npnn's global generator (`npnn.manual_seed`), not torch's.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from npnn.creation import as_tensor
from npnn.random import resolve
from npnn.vision import functional as F
from npnn.vision.functional import InterpolationMode
from npnn.vision.pil import is_pil_image


def _size(size: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    return int(size[0]), int(size[1])


class RandomResizedCrop:
    """A random window of `scale` times the area and `ratio` aspect (w/h), resized to `size`."""

    def __init__(self, size: int | Sequence[int], scale: Sequence[float] = (0.08, 1.0),
                 ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
                 interpolation: Any = InterpolationMode.BILINEAR, antialias: bool | None = True) -> None:
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("Scale and ratio should be of kind (min, max)")
        self.size = _size(size)
        self.scale, self.ratio, self.antialias = scale, ratio, antialias
        self.interpolation = F.interpolation_mode(interpolation)

    @staticmethod
    def get_params(img: Any, scale: Sequence[float], ratio: Sequence[float]) -> tuple[int, int, int, int]:
        """(top, left, height, width); the central crop of the nearest allowed ratio after 10 failed draws."""
        rng = resolve(None)
        _, height, width = F.get_dimensions(img)
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            area = height * width * rng.uniform(scale[0], scale[1])
            aspect = math.exp(rng.uniform(*log_ratio))
            w, h = round(math.sqrt(area * aspect)), round(math.sqrt(area / aspect))
            if 0 < w <= width and 0 < h <= height:
                return int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w
        in_ratio = width / height
        w, h = width, height
        if in_ratio < min(ratio):
            h = round(w / min(ratio))
        elif in_ratio > max(ratio):
            w = round(h * max(ratio))
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img: Any) -> Any:
        top, left, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resize(F.crop(img, top, left, h, w), list(self.size), self.interpolation,
                        antialias=self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, interpolation={self.interpolation.value}, "
                f"antialias={self.antialias})")


def _kernel(size: int, sigma: float) -> np.ndarray:
    x = np.linspace(-(size - 1) * 0.5, (size - 1) * 0.5, size)
    pdf = np.exp(-0.5 * (x / sigma) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img: Any, kernel_size: Sequence[int], sigma: Sequence[float]) -> Any:
    """Separable Gaussian blur with reflect padding; kernel_size and sigma are (x, y)."""
    if is_pil_image(img):  # as torchvision: blurred as a uint8 tensor, rounded back
        from PIL import Image  # lazy: Pillow's boundary

        pixels = np.array(img)
        chw = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
        out = np.asarray(gaussian_blur(as_tensor(chw), kernel_size, sigma).array)
        return Image.fromarray(out[0] if pixels.ndim == 2 else out.transpose(1, 2, 0)).convert(img.mode)
    array = np.asarray(img.array)
    kx, ky = kernel_size
    widths = [(0, 0)] * (array.ndim - 2) + [(ky // 2, ky // 2), (kx // 2, kx // 2)]
    padded = np.pad(array.astype(np.float64), widths, mode="reflect")
    rows = np.lib.stride_tricks.sliding_window_view(padded, ky, axis=-2) @ _kernel(ky, sigma[1])
    out = np.lib.stride_tricks.sliding_window_view(rows, kx, axis=-1) @ _kernel(kx, sigma[0])
    if array.dtype.kind in "ui":
        out = np.round(out)
    return as_tensor(out.astype(array.dtype))


class GaussianBlur:
    """Blur with a Gaussian of a standard deviation drawn uniformly from `sigma` (min, max)."""

    def __init__(self, kernel_size: int | Sequence[int], sigma: float | Sequence[float] = (0.1, 2.0)) -> None:
        self.kernel_size = _size(kernel_size)
        if any(k <= 0 or k % 2 == 0 for k in self.kernel_size):
            raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (float(sigma), float(sigma))
        elif len(sigma) != 2 or not 0.0 < sigma[0] <= sigma[1]:
            raise ValueError("sigma values should be positive and of the form (min, max).")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        return float(resolve(None).uniform(sigma_min, sigma_max))

    def __call__(self, img: Any) -> Any:
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"
