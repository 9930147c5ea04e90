"""Shift/flip augmentation: matches a per-pixel reference, and is reproducible by position."""

import numpy as np
import pytest

from npnn.data import ArrayDataset, DataLoader
from npnn.data.augment import flip_and_shift


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
