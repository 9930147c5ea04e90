"""The one boundary to Pillow: torchvision's datasets and transforms speak PIL Images.

Pillow is optional (matplotlib depends on it, so it is usually there); it is imported here,
on first use, and nowhere else. Tested with Pillow 13.0 (the venv's); `Image.fromarray` is called
without the `mode` argument that Pillow 11.3 deprecated (an HxW uint8 array gives mode "L").
"""

from __future__ import annotations

from typing import Any

import numpy as np


def pil_image_class() -> type | None:
    """`PIL.Image.Image`, or None when Pillow is not installed."""
    try:
        from PIL import Image  # lazy: the optional heavy library's boundary
    except ImportError:
        return None
    return Image.Image


def is_pil_image(obj: Any) -> bool:
    image_class = pil_image_class()
    return image_class is not None and isinstance(obj, image_class)


def to_pil_image(image: np.ndarray) -> Any:
    """A PIL Image of an HxW uint8 array (mode "L"), or a copy of the array when Pillow is missing."""
    if pil_image_class() is None:
        return np.array(image)
    from PIL import Image  # already imported by pil_image_class

    return Image.fromarray(np.ascontiguousarray(image))
