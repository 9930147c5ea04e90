"""npnn.vision.transforms against values computed by hand (and torchvision where installed)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import npnn
from npnn.vision.transforms import Compose, Lambda, Normalize, PILToTensor, ToTensor

RNG = np.random.default_rng(0)
GRAY = RNG.integers(0, 256, (5, 7), dtype=np.uint8)
RGB = RNG.integers(0, 256, (5, 7, 3), dtype=np.uint8)


def test_to_tensor_scales_uint8_to_unit_float32_chw() -> None:
    cases = ((GRAY, GRAY[None]), (RGB, RGB.transpose(2, 0, 1)),
             (Image.fromarray(GRAY), GRAY[None]), (Image.fromarray(RGB), RGB.transpose(2, 0, 1)))
    for source, expected in cases:
        out = ToTensor()(source)
        assert isinstance(out, npnn.Tensor) and out.dtype == np.float32 and out.shape == expected.shape
        np.testing.assert_array_equal(np.asarray(out), expected.astype(np.float32) / np.float32(255))


def test_to_tensor_keeps_other_dtypes_unscaled() -> None:
    values = RNG.normal(size=(4, 3))
    out = ToTensor()(values)
    assert out.dtype == np.float64 and out.shape == (1, 4, 3)
    np.testing.assert_array_equal(np.asarray(out)[0], values)
    floats = Image.fromarray(values.astype(np.float32))
    assert floats.mode == "F" and ToTensor()(floats).dtype == np.float32
    bits = ToTensor()(Image.fromarray(GRAY > 127))  # mode "1": 0/1 pixels scaled as 0/255
    np.testing.assert_array_equal(np.asarray(bits)[0], (GRAY > 127).astype(np.float32))


def test_to_tensor_errors() -> None:
    with pytest.raises(ValueError, match=r"pic should be 2/3 dimensional\. Got 4 dimensions"):
        ToTensor()(np.zeros((1, 2, 3, 4), np.uint8))
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        ToTensor()([[1, 2]])


def test_pil_to_tensor_keeps_pixels() -> None:
    out = PILToTensor()(Image.fromarray(RGB))
    assert out.dtype == np.uint8 and out.shape == (3, 5, 7)
    np.testing.assert_array_equal(np.asarray(out), RGB.transpose(2, 0, 1))
    with pytest.raises(TypeError, match="pic should be PIL Image"):
        PILToTensor()(RGB)


def test_normalize_per_channel_and_inplace() -> None:
    image = ToTensor()(RGB)
    mean, std = (0.5, 0.25, 0.1), (0.2, 0.3, 0.4)
    expected = (np.asarray(image) - np.float32(mean)[:, None, None]) / np.float32(std)[:, None, None]
    out = Normalize(mean, std)(image)
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-6)
    assert not np.allclose(np.asarray(image), expected)  # not in place by default
    assert Normalize(mean, std, inplace=True)(image) is image
    np.testing.assert_allclose(np.asarray(image), expected, rtol=1e-6)


def test_normalize_errors() -> None:
    with pytest.raises(TypeError, match="Input tensor should be a torch tensor"):
        Normalize(0.5, 0.5)(RGB)
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        Normalize(0.5, 0.5)(npnn.as_tensor(RGB))
    with pytest.raises(ValueError, match=r"Expected tensor to be a tensor image of size \(..., C, H, W\)"):
        Normalize(0.5, 0.5)(npnn.zeros(3, 3))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        Normalize((0.5,), (0.0,))(npnn.zeros(1, 3, 3))


def test_compose_and_lambda() -> None:
    pipeline = Compose([ToTensor(), Lambda(lambda t: t * 2), Normalize((1.0,), (1.0,))])
    np.testing.assert_allclose(np.asarray(pipeline(GRAY)),
                               (GRAY[None].astype(np.float32) / np.float32(255)) * 2 - 1, rtol=1e-6)
    assert "ToTensor()" in repr(pipeline)
    with pytest.raises(TypeError, match="Argument lambd should be callable"):
        Lambda(3)


def test_torchvision_parity() -> None:
    pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
    transforms = pytest.importorskip("torchvision.transforms", reason="torchvision is not installed "
                                     "(torch only): the hand-computed values above stand in for it")
    for source in (GRAY, RGB, Image.fromarray(RGB), RNG.normal(size=(4, 3))):
        np.testing.assert_array_equal(np.asarray(ToTensor()(source)), transforms.ToTensor()(source).numpy())
    image = ToTensor()(RGB)
    theirs = transforms.Normalize((0.5, 0.4, 0.3), (0.2, 0.3, 0.4))(transforms.ToTensor()(RGB))
    np.testing.assert_allclose(np.asarray(Normalize((0.5, 0.4, 0.3), (0.2, 0.3, 0.4))(image)), theirs.numpy(),
                               rtol=1e-6)
