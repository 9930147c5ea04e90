"""Shift/flip augmentation: matches a per-pixel reference, and is reproducible by position."""

import numpy as np
import pytest

from npnn.data import ArrayDataset, DataLoader
from npnn.data.augment import batch_augmentation, flip_and_shift, random_erase


def _reference(image, mirrored, dy, dx, fill):
    grid = image.reshape(28, 28)[:, ::-1] if mirrored else image.reshape(28, 28)
    out = np.full((28, 28), fill, dtype=image.dtype)
    for r in range(28):
        for c in range(28):
            if 0 <= r - dy < 28 and 0 <= c - dx < 28:
                out[r, c] = grid[r - dy, c - dx]
    return out.reshape(784)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("flip", [False, True])
def test_matches_per_pixel_reference(seed, flip):
    images = np.random.default_rng(seed).random((6, 784)).astype(np.float32)
    out = flip_and_shift(images, np.random.default_rng(seed), max_shift=2, flip=flip, fill=-1.0)
    draws = np.random.default_rng(seed)
    mirrored = draws.random(6) < 0.5 if flip else np.zeros(6, bool)
    dy, dx = draws.integers(-2, 3, 6), draws.integers(-2, 3, 6)
    for i in range(6):
        np.testing.assert_array_equal(out[i], _reference(images[i], mirrored[i], dy[i], dx[i], -1.0))
    assert out.dtype == np.float32


def test_zero_shift_without_flip_is_identity():
    images = np.random.default_rng(0).random((3, 784)).astype(np.float32)
    np.testing.assert_array_equal(flip_and_shift(images, np.random.default_rng(1), max_shift=0), images)


def test_loader_augmentation_depends_only_on_seed_epoch_and_batch():
    data = ArrayDataset(np.random.default_rng(0).random((50, 784)).astype(np.float32),
                        np.arange(50) % 10)
    loader = DataLoader(data, 16, shuffle=True, seed=4, augment=flip_and_shift)
    full = [x.numpy().copy() for x, _ in loader.iter_from(2)]
    tail = [x.numpy().copy() for x, _ in loader.iter_from(2, 2)]
    for a, b in zip(full[2:], tail, strict=True):
        np.testing.assert_array_equal(a, b)
    plain = [x.numpy() for x, _ in DataLoader(data, 16, shuffle=True, seed=4).iter_from(2)]
    assert not np.array_equal(full[0], plain[0])  # augmentation changed the images


def _erase_reference(image, rng_values, probability, value):
    """One image erased as random_erase's docstring says, pixel by pixel."""
    erased, area, aspect, top_draw, left_draw = rng_values
    out = image.reshape(28, 28).copy()
    if erased >= probability:
        return out.reshape(784)
    height = int(min(max(round(np.sqrt(area * aspect)), 1), 28))
    width = int(min(max(round(np.sqrt(area / aspect)), 1), 28))
    top, left = int(top_draw * (28 - height + 1)), int(left_draw * (28 - width + 1))
    for r in range(28):
        for c in range(28):
            if top <= r < top + height and left <= c < left + width:
                out[r, c] = value
    return out.reshape(784)


@pytest.mark.parametrize("seed", range(4))
def test_random_erase_matches_a_per_pixel_reference(seed):
    images = np.random.default_rng(seed).random((8, 784)).astype(np.float32)
    out = random_erase(images, np.random.default_rng(seed), probability=0.6, value=-2.0)
    draws = np.random.default_rng(seed)
    erased = draws.random(8)
    area = draws.uniform(0.02, 0.33, 8) * 784
    aspect = np.exp(draws.uniform(np.log(0.3), np.log(3.3), 8))
    top, left = draws.random(8), draws.random(8)
    for i in range(8):
        expected = _erase_reference(images[i], (erased[i], area[i], aspect[i], top[i], left[i]), 0.6, -2.0)
        np.testing.assert_array_equal(out[i], expected)
    assert out.dtype == np.float32 and (out == -2.0).any(axis=1).sum() == (erased < 0.6).sum()


def test_erased_area_follows_the_scale():
    images = np.ones((4000, 784), dtype=np.float32)
    fraction = (random_erase(images, np.random.default_rng(0), probability=1.0) == 0).mean(axis=1)
    assert fraction.min() > 0.01 and fraction.max() < 0.36  # scale (0.02, 0.33), rounded to pixels
    assert abs(fraction.mean() - 0.175) < 0.02


def test_batch_augmentation_composes_and_is_none_when_it_changes_nothing():
    assert batch_augmentation(0, False, 0.0) is None
    images = np.random.default_rng(0).random((5, 784)).astype(np.float32)
    augment = batch_augmentation(3, True, 0.5)
    first = augment(images, np.random.default_rng([1, 2, 3, 1]))
    np.testing.assert_array_equal(first, augment(images, np.random.default_rng([1, 2, 3, 1])))
    rng = np.random.default_rng([1, 2, 3, 1])
    expected = random_erase(flip_and_shift(images, rng, 3, True), rng, 0.5)
    np.testing.assert_array_equal(first, expected)
