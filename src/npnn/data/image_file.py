"""A user's own image file as a Fashion-MNIST image: 28×28 grey bytes, a light garment on black.

The preparation follows Fashion-MNIST's own pipeline (Xiao et al., 2017), which made its images
from product photos on white: grey, trim the background edges, keep the aspect ratio (pad to a
square), shrink to 28×28, and negate, so the garment is light on a black background. Not imported
by npnn.data's __init__: Pillow is a workflow dependency, and `import npnn` loads NumPy only.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_SIZE = 28
INVERT_CHOICES = ("auto", "yes", "no")
# Fashion-MNIST trimmed the edges within 5% of the maximum intensity of the corner colour
TRIM_TOLERANCE = 0.05 * 255
SIXTEEN_BIT_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N")
# a longer side is first shrunk to this (keeping the aspect ratio), so the padded square takes at
# most 16 MB however wide or tall the image (a 1×10,000,000 PNG would ask for 100 TB)
MAX_SQUARE_SIDE = 4096


class ImageFileError(OSError):
    """A file that cannot be read as an image; the message names it and says what to do."""

    def __str__(self) -> str:  # the message, not OSError's "[Errno N] ..."
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class PreparedImage:
    """28×28 uint8 pixels as Fashion-MNIST's (light on black), and whether they were negated."""

    pixels: np.ndarray
    inverted: bool


def load_image(path: str | os.PathLike[str], invert: str = "auto", trim: bool = True) -> PreparedImage:
    """`prepare_image(read_grey(path), invert, trim)`: an image file as the model's input bytes.
    Running out of memory on one image is that image's ImageFileError, so the others still go on."""
    try:
        return prepare_image(read_grey(path), invert, trim)
    except MemoryError:
        raise ImageFileError(f"{path}: not enough memory to read and prepare this image; shrink it "
                             f"first (the model sees {IMAGE_SIZE}×{IMAGE_SIZE})") from None


def read_grey(path: str | os.PathLike[str]) -> np.ndarray:
    """The (H, W) uint8 grey pixels of any image Pillow opens, upright as its EXIF orientation
    says, transparent parts on white (the product photos' background).

    ImageFileError for a missing file, a folder, a file that is no image or a damaged one, and
    for an image over PIL.Image.MAX_IMAGE_PIXELS (a decompression bomb guard: Pillow only warns
    up to twice that size; here it is an error).
    """
    path = Path(path)
    if path.is_dir():
        raise ImageFileError(f"{path} is a folder, not an image; pass image files (e.g. {path}/*.png)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                return _grey(ImageOps.exif_transpose(image))
    except FileNotFoundError:
        raise ImageFileError(f"{path}: no such file; check the path") from None
    except PermissionError:
        raise ImageFileError(f"{path}: not allowed to read it; check its permissions") from None
    except UnidentifiedImageError:
        raise ImageFileError(f"{path}: not an image file Pillow can read; pass a PNG or JPEG image "
                             "(or any format Pillow opens)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageFileError(f"{path}: refused as a possible decompression bomb ({_sentence(error)}); "
                             f"shrink the image first (the model sees {IMAGE_SIZE}×{IMAGE_SIZE})") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:  # what Pillow's decoders raise
        raise ImageFileError(f"{path}: damaged or incomplete image ({_sentence(error)}); "
                             "save it again or pass another file") from None


def prepare_image(grey: np.ndarray, invert: str = "auto", trim: bool = True) -> PreparedImage:
    """Grey (H, W) uint8 pixels as a Fashion-MNIST image.

    invert: 'yes' negates (a dark garment on a light background becomes light on black), 'no'
    keeps the pixels, 'auto' negates when the border pixels' mean is light (over 127.5). With
    `trim`, edges close to the background (the border's median) are cut away, so the garment
    fills the longer side as in Fashion-MNIST. Then padded to a square with the background and
    resized to 28×28 with Pillow's Lanczos filter (antialiased when shrinking); an image with a
    side over MAX_SQUARE_SIDE is first shrunk to it, keeping the aspect ratio. An image already
    28×28 is neither trimmed nor resized: it is taken as made by this pipeline (re-trimming
    Fashion-MNIST's own images moves half of them by a pixel, which costs an MLP about 1.5%
    accuracy).
    """
    if invert not in INVERT_CHOICES:
        raise ValueError(f"invert must be one of {INVERT_CHOICES}, got {invert!r}")
    grey = np.asarray(grey, dtype=np.uint8)
    if grey.ndim != 2 or grey.size == 0:
        raise ValueError(f"expected (H, W) grey pixels, got shape {grey.shape}")
    inverted = invert == "yes" or (invert == "auto" and float(_border(grey).mean()) > 127.5)
    if inverted:
        grey = 255 - grey
    background = int(np.median(_border(grey)))
    if trim and grey.shape != (IMAGE_SIZE, IMAGE_SIZE):
        grey = _trimmed(grey, background)
    square = Image.fromarray(_padded_square(_at_most(grey, MAX_SQUARE_SIDE), background))
    pixels = np.asarray(square.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.LANCZOS), dtype=np.uint8)
    return PreparedImage(pixels, inverted)


def _grey(image: Image.Image) -> np.ndarray:
    if image.mode in SIXTEEN_BIT_MODES:  # 16-bit grey: Pillow's convert("L") would clip it at 255
        wide = np.asarray(image.convert("I"), dtype=np.float64)
        return np.clip(np.rint(wide / 257), 0, 255).astype(np.uint8)
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image.convert("RGBA"))
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    return np.asarray(image.convert("L"), dtype=np.uint8)


def _border(grey: np.ndarray) -> np.ndarray:
    """The outermost rows and columns (each pixel once)."""
    if min(grey.shape) <= 2:
        return grey.ravel()
    return np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])


def _trimmed(grey: np.ndarray, background: int) -> np.ndarray:
    """The smallest box holding every pixel farther than TRIM_TOLERANCE from the background
    (the whole image when none is)."""
    content = np.abs(grey.astype(np.int16) - background) > TRIM_TOLERANCE
    rows, columns = np.flatnonzero(content.any(axis=1)), np.flatnonzero(content.any(axis=0))
    if len(rows) == 0:
        return grey
    return grey[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]


def _at_most(grey: np.ndarray, side: int) -> np.ndarray:
    """Shrunk (Lanczos) so the longer side is at most `side`, keeping the aspect ratio."""
    height, width = grey.shape
    if max(height, width) <= side:
        return grey
    scale = side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # Pillow's (width, height)
    return np.asarray(Image.fromarray(grey).resize(size, Image.Resampling.LANCZOS), dtype=np.uint8)


def _padded_square(grey: np.ndarray, background: int) -> np.ndarray:
    height, width = grey.shape
    side = max(height, width)
    square = np.full((side, side), background, dtype=np.uint8)
    top, left = (side - height) // 2, (side - width) // 2
    square[top:top + height, left:left + width] = grey
    return square


def _sentence(error: BaseException) -> str:
    """An exception's message as a clause: its first line, without the final full stop."""
    lines = str(error).strip().splitlines()
    return (lines[0].rstrip(".") if lines else "") or type(error).__name__
