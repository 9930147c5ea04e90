"""npnn.vision's augmentation transforms on a real Fashion-MNIST image and on tensors, against
hand-computed values, Pillow's own operations and PyTorch's interpolate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageEnhance
from real_files import raw_idx

import npnn
from npnn.utils.data import DataLoader
from npnn.vision import datasets
from npnn.vision import functional as F
from npnn.vision import transforms as T
from npnn.vision.crop_blur import gaussian_blur

PIXELS = raw_idx("t10k-images-idx3-ubyte", 16).reshape(10000, 28, 28)[7].copy()  # a real item's pixels
IMAGE = Image.fromarray(PIXELS)
FLOATS = PIXELS[None].astype(np.float32) / np.float32(255)  # ToTensor's C×H×W


def tensor() -> npnn.Tensor:
    return npnn.tensor(FLOATS.copy())


def both(transform: object) -> tuple[np.ndarray, np.ndarray]:
    """The transform of the PIL image (as an array) and of the float tensor (as uint8-scale values)."""
    return np.array(transform(IMAGE)), np.asarray(transform(tensor()))[0]


def test_flips_with_p1_mirror_and_p0_keep() -> None:
    for cls, expected in ((T.RandomHorizontalFlip, PIXELS[:, ::-1]), (T.RandomVerticalFlip, PIXELS[::-1])):
        pil, ten = both(cls(p=1.0))
        np.testing.assert_array_equal(pil, expected)
        np.testing.assert_array_equal(ten, expected.astype(np.float32) / np.float32(255))
        assert cls(p=0.0)(IMAGE) is IMAGE
        assert repr(cls()) == f"{cls.__name__}(p=0.5)"


def test_flip_probability_and_seed() -> None:
    npnn.manual_seed(0)
    flip = T.RandomHorizontalFlip(0.3)
    flips = sum(np.array_equal(np.array(flip(IMAGE)), PIXELS[:, ::-1]) for _ in range(2000))
    assert abs(flips / 2000 - 0.3) < 0.04
    pipeline = T.Compose([T.RandomCrop(20, padding=2), T.RandomHorizontalFlip(), T.ToTensor()])
    npnn.manual_seed(5)
    first = [np.asarray(pipeline(IMAGE)) for _ in range(5)]
    npnn.manual_seed(5)
    np.testing.assert_array_equal(first, [np.asarray(pipeline(IMAGE)) for _ in range(5)])


def test_pad_modes_equal_numpy_pad() -> None:
    for mode in ("constant", "edge", "reflect", "symmetric"):
        for padding, widths in ((3, ((3, 3), (3, 3))), ((1, 2), ((2, 2), (1, 1))),
                                ((1, 2, 3, 4), ((2, 4), (1, 3)))):
            kwargs = {"constant_values": 7} if mode == "constant" else {}
            expected = np.pad(PIXELS, widths, mode=mode, **kwargs)
            pil, ten = both(T.Pad(padding, fill=7, padding_mode=mode))
            np.testing.assert_array_equal(pil, expected)
            assert ten.shape == expected.shape and ten.dtype == np.float32
            tensor_expected = np.pad(FLOATS[0], widths, mode=mode, **kwargs)  # fill 7 is 7.0 on floats
            np.testing.assert_array_equal(ten, tensor_expected)
    assert repr(T.Pad(2)) == "Pad(padding=2, fill=0, padding_mode=constant)"
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect or"):
        T.Pad(2, padding_mode="wrap")
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple"):
        T.Pad((1, 2, 3))


def test_center_crop_and_random_crop_windows() -> None:
    pil, ten = both(T.CenterCrop(20))
    np.testing.assert_array_equal(pil, PIXELS[4:24, 4:24])
    np.testing.assert_array_equal(ten, FLOATS[0, 4:24, 4:24])
    np.testing.assert_array_equal(np.array(T.CenterCrop((10, 15))(IMAGE)), PIXELS[9:19, 6:21])
    np.testing.assert_array_equal(np.array(T.CenterCrop(32)(IMAGE)), np.pad(PIXELS, 2))  # larger: zero-padded
    assert repr(T.CenterCrop(5)) == "CenterCrop(size=(5, 5))"
    npnn.manual_seed(1)
    i, j, h, w = T.RandomCrop.get_params(IMAGE, (10, 12))
    assert (h, w) == (10, 12) and 0 <= i <= 18 and 0 <= j <= 16
    np.testing.assert_array_equal(np.array(F.crop(IMAGE, i, j, h, w)), PIXELS[i:i + 10, j:j + 12])
    np.testing.assert_array_equal(np.asarray(F.crop(tensor(), i, j, h, w))[0], FLOATS[0, i:i + 10, j:j + 12])
    tops = {T.RandomCrop.get_params(tensor(), (26, 26))[0] for _ in range(200)}
    assert tops == {0, 1, 2}  # every offset is drawn
    padded = np.pad(PIXELS, 4)
    for _ in range(20):
        out = np.array(T.RandomCrop(28, padding=4)(IMAGE))
        assert any(np.array_equal(out, padded[a:a + 28, b:b + 28]) for a in range(9) for b in range(9))
    assert T.RandomCrop(40, pad_if_needed=True)(tensor()).shape == (1, 40, 40)
    with pytest.raises(ValueError, match=r"Required crop size \(40, 40\) is larger than input image size"):
        T.RandomCrop(40)(IMAGE)
    assert repr(T.RandomCrop(28, padding=4)) == "RandomCrop(size=(28, 28), padding=4)"


def test_resize_against_pillow_and_torch() -> None:
    np.testing.assert_array_equal(np.array(T.Resize(28)(IMAGE)), PIXELS)  # same size: identity
    np.testing.assert_array_equal(np.asarray(T.Resize((28, 28))(tensor())), FLOATS)
    pillow = np.array(IMAGE.resize((14, 14), Image.BILINEAR))
    np.testing.assert_array_equal(np.array(T.Resize(14)(IMAGE)), pillow)
    source = torch.tensor(FLOATS[None])
    for size, mode, antialias in (((14, 14), "bilinear", True), ((14, 20), "bilinear", False),
                                  ((40, 33), "bilinear", True), ((13, 50), "nearest", True)):
        kwargs = {"align_corners": False, "antialias": antialias} if mode == "bilinear" else {}
        expected = torch.nn.functional.interpolate(source, size=size, mode=mode, **kwargs).numpy()[0]
        out = T.Resize(size, interpolation=mode, antialias=antialias)(tensor())
        assert out.dtype == np.float32 and out.shape == (1, *size)
        np.testing.assert_allclose(np.asarray(out), expected, atol=2e-6)
    assert T.Resize(10, max_size=12)(npnn.zeros(1, 20, 40)).shape == (1, 6, 12)
    assert T.Resize(10)(npnn.zeros(1, 20, 40)).shape == (1, 10, 20)
    assert repr(T.Resize(14)) == "Resize(size=14, interpolation=bilinear, max_size=None, antialias=True)"
    with pytest.raises(ValueError, match="npnn implements interpolation 'nearest' and 'bilinear' only"):
        T.Resize(14, interpolation="bicubic")
    assert T.Resize(14, interpolation=0).interpolation is T.InterpolationMode.NEAREST  # Pillow's int
    assert T.Resize(14, interpolation=T.InterpolationMode.NEAREST).interpolation.value == "nearest"


def test_rotation_by_fixed_angles() -> None:
    for angle, k in ((90, 1), (180, 2), (-90, 3)):
        np.testing.assert_array_equal(np.array(F.rotate(IMAGE, angle)), np.rot90(PIXELS, k))
        np.testing.assert_array_equal(np.asarray(F.rotate(tensor(), angle))[0], np.rot90(FLOATS[0], k))
        np.testing.assert_array_equal(np.asarray(T.RandomRotation((angle, angle))(tensor()))[0],
                                      np.rot90(FLOATS[0], k))
    clockwise = np.asarray(F.affine(tensor(), 90, [0, 0], 1.0, 0))[0]  # affine's angle is clockwise
    np.testing.assert_array_equal(clockwise, np.rot90(FLOATS[0], -1))
    np.testing.assert_array_equal(np.array(F.affine(IMAGE, 90, [0, 0], 1.0, 0)), np.rot90(PIXELS, -1))
    # a translation by whole pixels shifts and fills
    shifted = np.asarray(F.affine(tensor(), 0, [3, -2], 1.0, 0, fill=0.5))[0]
    np.testing.assert_array_equal(shifted[:26, 3:], FLOATS[0, 2:, :25])
    assert (shifted[:, :3] == 0.5).all() and (shifted[26:] == 0.5).all()
    np.testing.assert_array_equal(np.array(F.affine(IMAGE, 0, [3, -2], 1.0, 0))[:26, 3:], PIXELS[2:, :25])
    # 45°: tensor and Pillow agree on most pixels (rounding at half-pixel ties may differ)
    agree = np.mean(np.array(F.rotate(IMAGE, 45)) == np.round(np.asarray(F.rotate(tensor(), 45))[0] * 255))
    assert agree > 0.95
    side = 2 * int(np.ceil(14 * (np.cos(np.pi / 6) + np.sin(np.pi / 6))))  # corners at ±19.1 -> ±20
    assert F.rotate(tensor(), 30, expand=True).shape == (1, side, side)
    assert F.rotate(IMAGE, 30, expand=True).size == (side, side)


def test_random_rotation_and_affine_draws() -> None:
    npnn.manual_seed(2)
    angles = np.array([T.RandomRotation.get_params([-30.0, 30.0]) for _ in range(2000)])
    assert angles.min() >= -30 and angles.max() <= 30 and abs(angles.mean()) < 1.5 and angles.std() > 15
    out = T.RandomRotation(20, fill=0)(IMAGE)
    assert out.size == (28, 28) and out.mode == "L"
    angle, (tx, ty), scale, shear = T.RandomAffine.get_params([-10.0, 10.0], (0.1, 0.2), (0.9, 1.1),
                                                              [-5.0, 5.0], [28, 28])
    assert -10 <= angle <= 10 and abs(tx) <= 3 and abs(ty) <= 6 and 0.9 <= scale <= 1.1 and shear[1] == 0
    affine = T.RandomAffine(15, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5)
    result = affine(tensor())
    assert result.shape == (1, 28, 28) and result.dtype == np.float32
    assert float(result.min()) >= 0 and float(result.max()) <= 1
    assert repr(T.RandomRotation(30)) == "RandomRotation(degrees=[-30.0, 30.0], interpolation=nearest, " \
        "expand=False, fill=0)"
    assert repr(affine) == "RandomAffine(degrees=[-15.0, 15.0], translate=(0.1, 0.1), scale=(0.9, 1.1), " \
        "shear=[-5.0, 5.0])"
    with pytest.raises(ValueError, match="If degrees is a single number, it must be positive"):
        T.RandomRotation(-3)
    with pytest.raises(ValueError, match="translation values should be between 0 and 1"):
        T.RandomAffine(0, translate=(2, 0))


def test_grayscale_and_color_jitter() -> None:
    rgb = np.random.default_rng(0).random((3, 5, 6)).astype(np.float32)
    gray = np.asarray(T.Grayscale()(npnn.tensor(rgb)))
    np.testing.assert_allclose(gray[0], 0.2989 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2], rtol=1e-6)
    assert T.Grayscale(3)(npnn.tensor(rgb)).shape == (3, 5, 6)
    assert T.Grayscale()(IMAGE).mode == "L" and T.Grayscale(3)(IMAGE).mode == "RGB"
    assert repr(T.Grayscale()) == "Grayscale(num_output_channels=1)"
    np.testing.assert_array_equal(np.array(F_brightness(IMAGE, 1.5)),
                                  np.array(ImageEnhance.Brightness(IMAGE).enhance(1.5)))
    np.testing.assert_allclose(np.asarray(T.ColorJitter(brightness=(0.5, 0.5))(tensor())), FLOATS * 0.5)
    contrast = np.asarray(T.ColorJitter(contrast=(0.0, 0.0))(tensor()))
    np.testing.assert_allclose(contrast, np.full_like(FLOATS, FLOATS.mean()), rtol=1e-5)
    npnn.manual_seed(3)
    jitter = T.ColorJitter(brightness=0.4, contrast=0.4)
    outs = [np.asarray(jitter(tensor())) for _ in range(50)]
    assert all(o.min() >= 0 and o.max() <= 1 for o in outs) and len({float(o.sum()) for o in outs}) == 50
    assert repr(jitter) == ("ColorJitter(brightness=(0.6, 1.4), contrast=(0.6, 1.4), saturation=None, "
                            "hue=None)")
    with pytest.raises(NotImplementedError, match="npnn's ColorJitter does not implement saturation"):
        T.ColorJitter(saturation=0.2)


def F_brightness(img: Image.Image, factor: float) -> Image.Image:
    return T.ColorJitter(brightness=(factor, factor))(img)


def test_random_erasing() -> None:
    npnn.manual_seed(4)
    erasing = T.RandomErasing(p=1.0, value=0.25)
    changed = 0
    for _ in range(50):
        out = np.asarray(erasing(tensor()))
        mask = out != FLOATS
        changed += mask.any()
        rows, cols = np.nonzero(out[0] == 0.25)
        if rows.size:  # one rectangle, all of it erased, of at most a third of the image (plus rounding)
            box = out[0, rows.min():rows.max() + 1, cols.min():cols.max() + 1]
            assert (box == 0.25).all() and box.size <= 0.33 * 784 * 1.2
        assert out.shape == FLOATS.shape and out.dtype == np.float32
    assert changed >= 45
    assert np.asarray(T.RandomErasing(p=0.0)(tensor())).tolist() == FLOATS.tolist()
    assert repr(T.RandomErasing()) == "RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, " \
        "inplace=False)"
    with pytest.raises(TypeError, match="RandomErasing takes a tensor"):
        T.RandomErasing(p=1.0)(IMAGE)
    with pytest.raises(ValueError, match="If value is str, it should be 'random'"):
        T.RandomErasing(value="noise")


def test_random_apply_choice_order() -> None:
    flip = T.RandomHorizontalFlip(1.0)
    npnn.manual_seed(6)
    applied = sum(np.array_equal(np.array(T.RandomApply([flip], p=0.25)(IMAGE)), PIXELS[:, ::-1])
                  for _ in range(2000))
    assert abs(applied / 2000 - 0.25) < 0.04
    choice = T.RandomChoice([T.RandomHorizontalFlip(1.0), T.RandomVerticalFlip(1.0)], p=[3, 1])
    horizontal = sum(np.array_equal(np.array(choice(IMAGE)), PIXELS[:, ::-1]) for _ in range(2000))
    assert abs(horizontal / 2000 - 0.75) < 0.04
    order = T.RandomOrder([T.Pad((1, 0, 0, 0)), T.CenterCrop((28, 28))])  # order matters
    results = {np.array(order(IMAGE)).tobytes() for _ in range(50)}
    assert len(results) == 2
    expected = "RandomApply(\n    p=0.25\n    RandomHorizontalFlip(p=1.0)\n)"
    assert repr(T.RandomApply([flip], p=0.25)) == expected
    assert repr(T.RandomOrder([flip])) == "RandomOrder(\n    RandomHorizontalFlip(p=1.0)\n)"
    assert repr(choice) == ("RandomChoice(transforms=[RandomHorizontalFlip(p=1.0), "
                            "RandomVerticalFlip(p=1.0)], p=[0.75, 0.25])")
    assert T.RandomChoice([flip, flip]).p == [0.5, 0.5]


def test_convert_image_dtype_and_to_pil_image() -> None:
    as_uint8 = npnn.tensor(PIXELS[None])
    floats = T.ConvertImageDtype(np.float32)(as_uint8)
    np.testing.assert_array_equal(np.asarray(floats), FLOATS)
    back = T.ConvertImageDtype(np.uint8)(floats)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(np.asarray(back)[0], PIXELS)
    assert T.ConvertImageDtype(np.float64)(floats).dtype == np.float64
    np.testing.assert_array_equal(np.asarray(T.ConvertImageDtype(np.int32)(as_uint8))[0],
                                  PIXELS.astype(np.int32) * 2 ** 23)
    image = T.ToPILImage()(T.ToTensor()(IMAGE))
    assert image.mode == "L"
    np.testing.assert_array_equal(np.array(image), PIXELS)
    assert T.ToPILImage()(np.zeros((4, 5, 3), np.uint8)).mode == "RGB"
    assert repr(T.ToPILImage()) == "ToPILImage()"
    with pytest.raises(TypeError, match="pic should be Tensor or ndarray"):
        T.ToPILImage()([1, 2])


def test_dataloader_over_augmented_fashion_mnist(tmp_path: Path) -> None:
    transform = T.Compose([T.RandomCrop(28, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
                           T.Normalize((0.5,), (0.5,))])
    dataset = datasets.FashionMNIST(tmp_path, train=False, transform=transform)
    npnn.manual_seed(0)
    images, labels = next(iter(DataLoader(dataset, batch_size=16, shuffle=True)))
    assert images.shape == (16, 1, 28, 28) and images.dtype == np.float32 and labels.shape == (16,)
    assert float(images.min()) >= -1 and float(images.max()) <= 1


def test_random_resized_crop() -> None:
    npnn.manual_seed(7)
    for _ in range(200):
        top, left, h, w = T.RandomResizedCrop.get_params(IMAGE, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 < h <= 28 and 0 < w <= 28 and top + h <= 28 and left + w <= 28
        assert 0.08 * 784 * 0.8 <= h * w <= 784 and 3 / 4 * 0.8 <= w / h <= 4 / 3 * 1.25
    assert T.RandomResizedCrop.get_params(IMAGE, (2.0, 2.0), (1.0, 1.0)) == (0, 0, 28, 28)  # central fallback
    whole = T.RandomResizedCrop(28, scale=(1.0, 1.0), ratio=(1.0, 1.0))  # the whole image, same size
    np.testing.assert_array_equal(np.array(whole(IMAGE)), PIXELS)
    np.testing.assert_array_equal(np.asarray(whole(tensor())), FLOATS)
    out = T.RandomResizedCrop(14)(tensor())
    assert out.shape == (1, 14, 14) and out.dtype == np.float32
    assert T.RandomResizedCrop((10, 12))(IMAGE).size == (12, 10)
    assert repr(T.RandomResizedCrop(14)) == ("RandomResizedCrop(size=(14, 14), scale=(0.08, 1.0), "
                                             "ratio=(0.75, 1.3333), interpolation=bilinear, antialias=True)")


def test_gaussian_blur_equals_torch_conv() -> None:
    def kernel(k: int, s: float) -> torch.Tensor:  # torchvision's 1-D Gaussian kernel
        x = torch.linspace(-(k - 1) / 2, (k - 1) / 2, k, dtype=torch.float64)
        pdf = torch.exp(-0.5 * (x / s) ** 2)
        return pdf / pdf.sum()

    for (kx, ky), (sx, sy) in (((3, 3), (1.0, 1.0)), ((5, 3), (1.5, 0.7))):
        weight = (kernel(ky, sy)[:, None] * kernel(kx, sx)[None, :])[None, None]
        padded = torch.nn.functional.pad(torch.tensor(FLOATS[None], dtype=torch.float64),
                                         (kx // 2, kx // 2, ky // 2, ky // 2), mode="reflect")
        expected = torch.nn.functional.conv2d(padded, weight).numpy()[0]
        blurred = T.GaussianBlur((kx, ky), sigma=(sx, sx))
        if sx == sy:
            np.testing.assert_allclose(np.asarray(blurred(tensor())), expected, atol=1e-6)
        np.testing.assert_allclose(np.asarray(gaussian_blur(tensor(), (kx, ky), (sx, sy))), expected,
                                   atol=1e-6)
        pil = np.array(gaussian_blur(IMAGE, (kx, ky), (sx, sy))).astype(float)
        np.testing.assert_allclose(pil, np.asarray(gaussian_blur(npnn.tensor(PIXELS[None]), (kx, ky),
                                                                 (sx, sy)))[0])
    assert repr(T.GaussianBlur(3)) == "GaussianBlur(kernel_size=(3, 3), sigma=(0.1, 2.0))"
    with pytest.raises(ValueError, match="Kernel size value should be an odd and positive number"):
        T.GaussianBlur(4)


def torch_affine(image: np.ndarray, matrix: list[float], mode: str, fill: float) -> np.ndarray:
    """torchvision's tensor affine: grid_sample at the inverse matrix · (pixel centre - image centre)."""
    _, h, w = image.shape
    y, x = torch.meshgrid(torch.arange(h, dtype=torch.float64) - h / 2 + 0.5,
                          torch.arange(w, dtype=torch.float64) - w / 2 + 0.5, indexing="ij")
    theta = torch.tensor(matrix, dtype=torch.float64).reshape(2, 3)
    source = torch.stack([x, y, torch.ones_like(x)], -1) @ theta.T
    grid = (source / torch.tensor([0.5 * w, 0.5 * h], dtype=torch.float64))[None]
    ones = torch.ones(1, h, w, dtype=torch.float64)
    with_mask = torch.cat([torch.tensor(image, dtype=torch.float64), ones])
    out = torch.nn.functional.grid_sample(with_mask[None], grid, mode=mode, padding_mode="zeros",
                                          align_corners=False)[0]
    values, mask = out[:-1], out[-1:]
    if mode == "nearest":
        return torch.where(mask < 0.5, fill, values).numpy()
    return (values * mask + (1 - mask) * fill).numpy()


def test_tensor_rotate_and_affine_equal_torch_grid_sample() -> None:
    for mode in ("bilinear", "nearest"):
        for angle, translate, scale, shear in ((30.0, (0, 0), 1.0, (0.0, 0.0)),
                                               (-12.5, (2, -3), 0.9, (8.0, 0.0)),
                                               (70.0, (-1, 1), 1.2, (-5.0, 4.0))):
            matrix = F.inverse_affine_matrix([0.0, 0.0], angle, translate, scale, shear)
            expected = torch_affine(FLOATS, matrix, mode, 0.25)
            out = F.affine(tensor(), angle, list(translate), scale, list(shear), mode, fill=0.25)
            np.testing.assert_allclose(np.asarray(out), expected, atol=1e-6)
        rotated = F.rotate(tensor(), 30.0, mode, fill=0.25)
        matrix = F.inverse_affine_matrix([0.0, 0.0], -30.0, [0, 0], 1.0, [0, 0])  # rotate: anticlockwise
        expected = torch_affine(FLOATS, matrix, mode, 0.25)
        np.testing.assert_allclose(np.asarray(rotated), expected, atol=1e-6)
