"""torchvision's transforms (v1): ToTensor, PILToTensor, Normalize, Compose, Lambda here; the geometric
and random-choice ones in npnn.vision.augment, colour, erasing and conversions in npnn.vision.color.
Random draws come from npnn's global generator (`npnn.manual_seed`), so the numbers differ from torchvision's.

Inputs and outputs as torchvision's: images are PIL Images or HxW / HxWxC NumPy arrays, and
tensors are C×H×W (Normalize also takes ...×C×H×W).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from npnn._tensor import Tensor
from npnn.autograd.grad_mode import no_grad
from npnn.backend import get_default_dtype
from npnn.creation import as_tensor
from npnn.vision.augment import (
    CenterCrop,
    Pad,
    RandomAffine,
    RandomApply,
    RandomChoice,
    RandomCrop,
    RandomHorizontalFlip,
    RandomOrder,
    RandomRotation,
    RandomVerticalFlip,
    Resize,
)
from npnn.vision.color import ColorJitter, ConvertImageDtype, Grayscale, RandomErasing, ToPILImage
from npnn.vision.crop_blur import GaussianBlur, RandomResizedCrop
from npnn.vision.functional import InterpolationMode
from npnn.vision.pil import is_pil_image

__all__ = [
    "CenterCrop", "ColorJitter", "Compose", "ConvertImageDtype", "GaussianBlur", "Grayscale",
    "InterpolationMode", "Lambda", "Normalize", "PILToTensor", "Pad", "RandomAffine", "RandomApply",
    "RandomChoice", "RandomCrop", "RandomErasing", "RandomHorizontalFlip", "RandomOrder",
    "RandomResizedCrop", "RandomRotation", "RandomVerticalFlip", "Resize", "ToPILImage", "ToTensor",
]

# PIL modes whose pixels are not uint8 (as torchvision's ToTensor reads them)
_PIL_DTYPES = {"I": np.int32, "I;16": np.int16, "F": np.float32}


def _hwc_array(pic: Any, dtype: Any = None) -> np.ndarray:
    """The image as an HxWxC array (a copy for PIL Images, a view for arrays)."""
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        array = pic
    elif is_pil_image(pic):
        array = np.array(pic, dtype=dtype, copy=True)
        if pic.mode == "1" and dtype is not None:
            array = 255 * array
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    return array[:, :, None] if array.ndim == 2 else array


def to_tensor(pic: Any) -> Tensor:
    """C×H×W Tensor: uint8 pixels as the default float dtype scaled to [0, 1], other dtypes unscaled."""
    dtype = _PIL_DTYPES.get(pic.mode, np.uint8) if is_pil_image(pic) else None
    chw = np.ascontiguousarray(_hwc_array(pic, dtype).transpose(2, 0, 1))
    if chw.dtype == np.uint8:
        float_dtype = get_default_dtype()
        return as_tensor(chw.astype(float_dtype) / float_dtype.type(255))
    return as_tensor(chw)


class ToTensor:
    """PIL Image or HxW(xC) ndarray -> C×H×W Tensor; uint8 scaled to [0, 1], other dtypes unscaled."""

    def __call__(self, pic: Any) -> Tensor:
        return to_tensor(pic)

    def __repr__(self) -> str:
        return "ToTensor()"


class PILToTensor:
    """PIL Image -> C×H×W Tensor of its pixel dtype, unscaled."""

    def __call__(self, pic: Any) -> Tensor:
        if not is_pil_image(pic):
            raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
        return as_tensor(np.ascontiguousarray(_hwc_array(pic).transpose(2, 0, 1)))

    def __repr__(self) -> str:
        return "PILToTensor()"


class Normalize:
    """(tensor - mean) / std per channel of a float ...×C×H×W tensor; `inplace` writes into it."""

    def __init__(self, mean: Sequence[float] | float, std: Sequence[float] | float,
                 inplace: bool = False) -> None:
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def __call__(self, tensor: Tensor) -> Tensor:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Input tensor should be a torch tensor. Got {type(tensor)}.")
        if tensor.dtype.kind != "f":
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.ndim < 3:
            raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                             f"tensor.size() = {tensor.size()}")
        mean, std = (np.asarray(v, dtype=tensor.dtype) for v in (self.mean, self.std))
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, "
                             "leading to division by zero.")
        mean, std = (as_tensor(v.reshape(-1, 1, 1) if v.ndim == 1 else v) for v in (mean, std))
        if not self.inplace:
            return (tensor - mean) / std
        with no_grad():
            tensor -= mean
            tensor /= std
        return tensor

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Compose:
    """Apply `transforms` in order."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = transforms

    def __call__(self, img: Any) -> Any:
        for transform in self.transforms:
            img = transform(img)
        return img

    def __repr__(self) -> str:
        return "Compose(\n" + "".join(f"    {t!r}\n" for t in self.transforms) + ")"


class Lambda:
    """A user function as a transform."""

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return "Lambda()"
