"""torchvision's colour, erasing and conversion transforms (v1): Grayscale, ColorJitter (brightness
and contrast), RandomErasing, ConvertImageDtype, ToPILImage.

Random parameters come from npnn's global generator (`npnn.manual_seed`), not torch's.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from npnn._tensor import Tensor
from npnn.creation import as_tensor
from npnn.random import resolve
from npnn.vision.pil import is_pil_image, to_pil_image


def _image_array(img: Tensor) -> np.ndarray:
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    return np.asarray(img.array)


def _bound(dtype: np.dtype) -> float:
    return 1.0 if dtype.kind == "f" else float(np.iinfo(dtype).max)


def _to_dtype(values: np.ndarray, dtype: np.dtype) -> Tensor:
    """Clamp to the image range and cast (integers truncate, as torch's .to)."""
    return as_tensor(np.clip(values, 0, _bound(dtype)).astype(dtype))


def rgb_to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """ITU-R 601-2 luma (0.2989 R + 0.587 G + 0.114 B); a 1-channel image is kept."""
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if is_pil_image(img):
        gray = img.convert("L")
        return gray if num_output_channels == 1 else gray.convert("RGB")
    array = _image_array(img)
    if array.shape[-3] not in (1, 3):
        raise TypeError("Input image tensor permitted channel values are [1, 3], but found "
                        f"{array.shape[-3]}")
    gray = array[..., :1, :, :].astype(np.float64)
    if array.shape[-3] == 3:
        r, g, b = (array[..., i:i + 1, :, :].astype(np.float64) for i in range(3))
        gray = 0.2989 * r + 0.587 * g + 0.114 * b
    gray = np.repeat(gray, num_output_channels, axis=-3)
    return as_tensor((np.floor(gray) if array.dtype.kind in "ui" else gray).astype(array.dtype))


def adjust_brightness(img: Any, factor: float) -> Any:
    if factor < 0:
        raise ValueError(f"brightness_factor ({factor}) is not non-negative.")
    if is_pil_image(img):
        from PIL import ImageEnhance  # lazy: Pillow's boundary

        return ImageEnhance.Brightness(img).enhance(factor)
    array = _image_array(img)
    return _to_dtype(array * np.float64(factor), array.dtype)


def adjust_contrast(img: Any, factor: float) -> Any:
    """Blend with the mean of the grayscale image."""
    if factor < 0:
        raise ValueError(f"contrast_factor ({factor}) is not non-negative.")
    if is_pil_image(img):
        from PIL import ImageEnhance  # lazy: Pillow's boundary

        return ImageEnhance.Contrast(img).enhance(factor)
    array = _image_array(img)
    gray = np.asarray(rgb_to_grayscale(img).array) if array.shape[-3] == 3 else array
    mean = gray.astype(np.float64).mean(axis=(-3, -2, -1), keepdims=True)
    return _to_dtype(factor * array + (1.0 - factor) * mean, array.dtype)


class Grayscale:
    """Grayscale with 1 or 3 (equal) channels."""

    def __init__(self, num_output_channels: int = 1) -> None:
        self.num_output_channels = num_output_channels

    def __call__(self, img: Any) -> Any:
        return rgb_to_grayscale(img, self.num_output_channels)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


def _jitter_range(value: float | Sequence[float] | None, name: str) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        value = [max(1.0 - value, 0.0), 1.0 + value]
    elif len(value) != 2 or not 0 <= value[0] <= value[1]:
        raise ValueError(f"{name} values should be between (0, inf), but got {value}.")
    return None if value[0] == value[1] == 1 else (float(value[0]), float(value[1]))


class ColorJitter:
    """Random brightness and contrast, applied in a random order.

    npnn implements brightness and contrast only (the adjustments a grayscale image such as Fashion-MNIST
    has); a nonzero saturation or hue is refused by name.
    """

    def __init__(self, brightness: float | Sequence[float] = 0, contrast: float | Sequence[float] = 0,
                 saturation: float | Sequence[float] = 0, hue: float | Sequence[float] = 0) -> None:
        for name, value in (("saturation", saturation), ("hue", hue)):
            if value not in (0, None):
                raise NotImplementedError(f"npnn's ColorJitter does not implement {name}: use brightness and "
                                          f"contrast (for a grayscale image {name} changes nothing)")
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = self.hue = None

    def __call__(self, img: Any) -> Any:
        adjustments = ((self.brightness, adjust_brightness), (self.contrast, adjust_contrast))
        for index in resolve(None).permutation(2):
            bounds, adjust = adjustments[int(index)]
            if bounds is not None:
                img = adjust(img, float(resolve(None).uniform(bounds[0], bounds[1])))
        return img

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class RandomErasing:
    """With probability p, set a random rectangle of a C×H×W tensor to `value` ('random': normal noise)."""

    def __init__(self, p: float = 0.5, scale: Sequence[float] = (0.02, 0.33),
                 ratio: Sequence[float] = (0.3, 3.3), value: float | str | Sequence[float] = 0,
                 inplace: bool = False) -> None:
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("Scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace

    @staticmethod
    def get_params(img: Tensor, scale: Sequence[float], ratio: Sequence[float],
                   value: Sequence[float] | None = None) -> tuple[int, int, int, int, np.ndarray]:
        """(top, left, height, width, values): the whole image unerased after 10 failed draws."""
        rng = resolve(None)
        channels, height, width = _image_array(img).shape[-3:]
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            area = height * width * rng.uniform(scale[0], scale[1])
            aspect = math.exp(rng.uniform(*log_ratio))
            h, w = round(math.sqrt(area * aspect)), round(math.sqrt(area / aspect))
            if not (h < height and w < width):
                continue
            values = (rng.standard_normal((channels, h, w)) if value is None
                      else np.asarray(value, np.float64).reshape(-1, 1, 1))
            return int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w, values
        return 0, 0, height, width, _image_array(img)

    def __call__(self, img: Tensor) -> Tensor:
        if is_pil_image(img):
            raise TypeError("RandomErasing takes a tensor: put it after ToTensor()")
        if resolve(None).random() >= self.p:
            return img
        value = None if self.value == "random" else (
            [self.value] if isinstance(self.value, numbers.Number) else list(self.value))
        if value is not None and len(value) not in (1, img.shape[-3]):
            raise ValueError("If value is a sequence, it should have either a single value or "
                             f"{img.shape[-3]} (number of input channels)")
        top, left, h, w, values = self.get_params(img, self.scale, self.ratio, value)
        array = _image_array(img)
        out = array if self.inplace else array.copy()
        out[..., top:top + h, left:left + w] = values
        return img if self.inplace else as_tensor(out)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value}, inplace={self.inplace})")


class ConvertImageDtype:
    """Cast a tensor image, rescaling values: floats are in [0, 1], integers in [0, dtype's max]."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = np.dtype(dtype)

    def __call__(self, image: Tensor) -> Tensor:
        array = _image_array(image)
        source, target = array.dtype, self.dtype
        if source == target:
            return image
        if source.kind == "f" and target.kind == "f":
            return as_tensor(array.astype(target))
        if target.kind == "f":
            return as_tensor((array / np.float64(_bound(source))).astype(target))
        if source.kind == "f":
            return as_tensor((array * (_bound(target) + 1.0 - 1e-3)).astype(target))
        in_max, out_max = _bound(source), _bound(target)
        if in_max > out_max:
            return as_tensor((array // ((in_max + 1) // (out_max + 1))).astype(target))
        return as_tensor(array.astype(target) * target.type((out_max + 1) // (in_max + 1)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ToPILImage:
    """C×H×W tensor (floats in [0, 1] are scaled by 255) or H×W(×C) ndarray -> PIL Image."""

    def __init__(self, mode: str | None = None) -> None:
        self.mode = mode

    def __call__(self, pic: Any) -> Any:
        if isinstance(pic, Tensor):
            if pic.ndim not in (2, 3):
                raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
            array = np.asarray(pic.array)
            array = array[None] if array.ndim == 2 else array
            if array.dtype.kind == "f":
                array = (array * 255).astype(np.uint8)
            array = array.transpose(1, 2, 0)
        elif isinstance(pic, np.ndarray):
            if pic.ndim not in (2, 3):
                raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
            array = pic[:, :, None] if pic.ndim == 2 else pic
        else:
            raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
        image = to_pil_image(array[:, :, 0] if array.shape[2] == 1 else array)
        return image if self.mode is None or image.mode == self.mode else image.convert(self.mode)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + (f"mode={self.mode}" if self.mode is not None else "") + ")"
