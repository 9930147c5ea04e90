"""A user's image file as a Fashion-MNIST image: reading (EXIF, transparency, 16 bits, errors)
and preparation (polarity, trimming, aspect ratio, 28×28)."""

import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from npnn.data import image_file
from npnn.data.image_file import ImageFileError, load_image, prepare_image, read_grey


def _garment(height=28, width=28, top=4, left=9, rows=20, columns=10, value=200):
    """A light block (a 'garment') on black."""
    image = np.zeros((height, width), dtype=np.uint8)
    image[top:top + rows, left:left + columns] = value
    return image


def test_a_28x28_image_light_on_black_is_taken_as_it_is(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1] = 0, 0, 0, 0  # a dark border: no inversion
    Image.fromarray(pixels).save(tmp_path / "a.png")
    prepared = load_image(tmp_path / "a.png")
    np.testing.assert_array_equal(prepared.pixels, pixels)
    assert not prepared.inverted and prepared.pixels.dtype == np.uint8


def test_a_light_border_is_inverted_in_auto_and_the_choice_can_be_forced():
    garment = _garment()
    photo = 255 - garment  # a dark garment on white
    auto = prepare_image(photo)
    assert auto.inverted
    np.testing.assert_array_equal(auto.pixels, garment)
    assert not prepare_image(garment).inverted
    np.testing.assert_array_equal(prepare_image(photo, invert="no").pixels, photo)
    forced = prepare_image(garment, invert="yes")
    assert forced.inverted
    np.testing.assert_array_equal(forced.pixels, photo)
    with pytest.raises(ValueError, match="invert must be one of"):
        prepare_image(garment, invert="maybe")


def test_the_aspect_ratio_is_kept_by_padding_with_the_background():
    # 60 rows × 30 columns (a garment on black): padded to 60×60 with black, then shrunk to 28×28
    tall = _garment(height=60, width=30, top=2, left=2, rows=56, columns=26, value=180)
    pixels = prepare_image(tall, trim=False).pixels
    assert pixels.shape == (28, 28)
    assert pixels[:, :5].max() < 10 and pixels[:, -5:].max() < 10  # the padding on the sides
    assert pixels[2:-2, 9:19].min() >= 170  # the garment, about 12 columns wide in the middle
    # on white (inverted), the padding is the background too: black after inversion
    pixels = prepare_image(255 - tall, trim=False).pixels
    assert pixels[:, :5].max() < 10 and pixels[2:-2, 9:19].min() >= 170


def test_trimming_makes_a_small_garment_fill_the_picture():
    canvas = _garment(height=300, width=400, top=100, left=150, rows=100, columns=50)
    trimmed = prepare_image(canvas).pixels
    assert trimmed[0, 14] > 150 and trimmed[-1, 14] > 150  # spans the height, as in Fashion-MNIST
    assert trimmed[:, :5].max() < 10  # 100 × 50: padded left and right
    untrimmed = prepare_image(canvas, trim=False).pixels
    assert untrimmed[:8].max() == 0 and untrimmed[-8:].max() == 0 and untrimmed.max() > 150  # small


@pytest.mark.parametrize("shape", [(1, 40_000), (40_000, 1), (3, 9_000)])
def test_a_very_wide_or_tall_image_is_prepared_without_a_square_of_its_longer_side(tmp_path, shape):
    """A 1×40,000 image once took a 40,000² square (1.6 GB) before shrinking."""
    stripes = np.zeros(shape, dtype=np.uint8)
    stripes[..., ::2] = 255 if shape[0] < shape[1] else 0
    stripes[::2] = 255 if shape[0] >= shape[1] else stripes[::2]
    Image.fromarray(stripes).save(tmp_path / "wide.png")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        prepared = load_image(tmp_path / "wide.png", trim=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20 and time.perf_counter() - started < 10, (peak, time.perf_counter() - started)
    assert prepared.pixels.shape == (28, 28) and prepared.pixels.dtype == np.uint8


def test_a_large_image_is_shrunk_first_then_prepared_as_before(monkeypatch):
    """Shrinking a longer side over MAX_SQUARE_SIDE first changes the result by a few grey levels."""
    canvas = _garment(height=840, width=588, top=60, left=90, rows=700, columns=360, value=180)
    direct = prepare_image(canvas, trim=False).pixels
    monkeypatch.setattr(image_file, "MAX_SQUARE_SIDE", 280)  # 840×588 shrunk to 280×196 first
    difference = np.abs(prepare_image(canvas, trim=False).pixels.astype(int) - direct)
    assert difference.max() <= 8 and difference.mean() < 1, (difference.max(), difference.mean())


def test_running_out_of_memory_on_one_image_is_its_one_line_error(tmp_path, monkeypatch):
    Image.new("L", (30, 30)).save(tmp_path / "a.png")

    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(image_file, "_padded_square", no_memory)
    with pytest.raises(ImageFileError) as caught:
        load_image(tmp_path / "a.png")
    message = str(caught.value)
    assert str(tmp_path / "a.png") in message and "not enough memory" in message and "\n" not in message


def test_transparent_parts_are_on_white_then_inverted(tmp_path):
    rgba = np.zeros((40, 40, 4), dtype=np.uint8)  # fully transparent
    rgba[5:35, 10:30] = (30, 30, 30, 255)  # an opaque dark garment
    Image.fromarray(rgba, "RGBA").save(tmp_path / "cut-out.png")
    grey = read_grey(tmp_path / "cut-out.png")
    assert grey[0, 0] == 255 and grey[20, 20] == 30
    prepared = load_image(tmp_path / "cut-out.png", trim=False)
    assert prepared.inverted and prepared.pixels[0, 0] == 0 and prepared.pixels[14, 14] == 225


def test_exif_orientation_is_applied(tmp_path):
    stored = np.zeros((10, 20), dtype=np.uint8)
    stored[0, :3] = 255  # a mark at the top left as stored
    image = Image.fromarray(stored)
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    image.save(tmp_path / "rotated.png", exif=exif)
    np.testing.assert_array_equal(read_grey(tmp_path / "rotated.png"), np.rot90(stored, k=-1))


def test_colour_and_16_bit_grey_become_8_bit_grey(tmp_path):
    Image.new("RGB", (5, 4), (255, 0, 0)).save(tmp_path / "red.png")
    grey = read_grey(tmp_path / "red.png")
    assert grey.shape == (4, 5) and grey.dtype == np.uint8 and grey[0, 0] == 76  # ITU-R 601 luma
    wide = np.array([[0, 257 * 100, 65535]], dtype=np.uint16)
    Image.fromarray(wide).save(tmp_path / "wide.png")
    assert read_grey(tmp_path / "wide.png").tolist() == [[0, 100, 255]]  # scaled, not clipped


def _truncated_png(tmp_path):
    noise = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)  # incompressible
    Image.fromarray(noise).save(tmp_path / "whole.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "whole.png").read_bytes()[:2000])
    return tmp_path / "cut.png"


@pytest.mark.parametrize(("make", "expected"), [
    (lambda tmp: tmp / "missing.png", "no such file; check the path"),
    (lambda tmp: tmp, "is a folder, not an image; pass image files"),
    (lambda tmp: (tmp / "notes.txt").write_text("a shirt") and tmp / "notes.txt",
     "not an image file Pillow can read; pass a PNG or JPEG image"),
    (_truncated_png, "damaged or incomplete image"),
])
def test_unreadable_files_are_one_line_naming_the_file_and_the_fix(tmp_path, make, expected):
    path = make(tmp_path)
    with pytest.raises(ImageFileError) as caught:
        read_grey(path)
    message = str(caught.value)
    assert str(path) in message and expected in message and "\n" not in message


# 10,000 pixels: over twice the limit (Pillow raises), over the limit (Pillow only warns)
@pytest.mark.parametrize("limit", [2500, 6000])
def test_an_image_over_max_image_pixels_is_refused(tmp_path, monkeypatch, limit):
    Image.new("L", (100, 100)).save(tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    with pytest.raises(ImageFileError, match=r"bomb\.png: refused as a possible decompression bomb"):
        read_grey(tmp_path / "bomb.png")


def test_import_npnn_loads_no_imaging_library():
    script = ("import sys, npnn, npnn.data; "
              "print(sorted(m for m in sys.modules if m.startswith(('PIL', 'matplotlib', 'onnx'))))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
