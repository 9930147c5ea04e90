"""The real Fashion-MNIST from the Debian package (CI installs dataset-fashion-mnist; no skipping).

Each split is loaded once per session; the in-memory file cache makes the later loads cheap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from npnn.data import ArrayDataset, DataLoader, fashion_mnist, load_fashion_mnist, locate
from npnn.data.fashion_mnist import read_verified
from npnn.data.load import split_sizes

REAL_DIR = Path("/usr/share/datasets/fashion-mnist")  # `sudo apt-get install dataset-fashion-mnist`


@pytest.fixture(scope="session")
def splits() -> dict[str, ArrayDataset]:
    return {split: load_fashion_mnist(split, REAL_DIR, download=False) for split in ("train", "val", "test")}


def test_debian_dir_is_found_by_the_search(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", REAL_DIR)
    location = locate(download=False)
    assert (location.source, location.directory) == ("debian", REAL_DIR)


def test_shapes_dtypes_and_range(splits: dict[str, ArrayDataset]) -> None:
    sizes = {"train": 48000, "val": 12000, "test": 10000}
    for split, dataset in splits.items():
        assert dataset.images.shape == (sizes[split], 784), split
        assert dataset.images.dtype == np.float32 and dataset.labels.dtype == np.int64
        assert dataset.images.min() == 0.0 and dataset.images.max() == 1.0
        assert dataset.class_names == fashion_mnist.CLASS_NAMES
        assert dataset.normalization is not None and dataset.normalization.name == "unit"


def test_label_balance(splits: dict[str, ArrayDataset]) -> None:
    assert np.bincount(splits["test"].labels).tolist() == [1000] * 10
    train_and_val = np.concatenate([splits["train"].labels, splits["val"].labels])
    assert np.bincount(train_and_val).tolist() == [6000] * 10


def test_tail_split_is_the_last_12000_of_the_training_file(splits: dict[str, ArrayDataset]) -> None:
    location = locate(REAL_DIR, download=False)
    raw = read_verified(location.files["train_images"])
    np.testing.assert_array_equal(splits["val"].images[-5:] * 255, raw[-5:].reshape(5, 784))
    np.testing.assert_array_equal(splits["train"].images[:5] * 255, raw[:5].reshape(5, 784))


def test_stratified_split_has_1200_per_class_in_val() -> None:
    val = load_fashion_mnist("val", REAL_DIR, download=False, val_split="stratified", seed=0)
    assert np.bincount(val.labels).tolist() == [1200] * 10
    other = load_fashion_mnist("val", REAL_DIR, download=False, val_split="stratified", seed=1, subset=100)
    assert not np.array_equal(other.images, val.images[:100])


def test_val_fraction_holds_out_that_share_of_the_training_file() -> None:
    val = load_fashion_mnist("val", REAL_DIR, download=False, val_fraction=0.1)
    train = load_fashion_mnist("train", REAL_DIR, download=False, val_fraction=0.1, subset=5)
    assert (len(val), 54_000) == (6_000, split_sizes("tail", 0.1)[0])
    raw = read_verified(locate(REAL_DIR, download=False).files["train_images"])
    np.testing.assert_array_equal(val.images[:1] * 255, raw[54_000].reshape(1, 784))
    np.testing.assert_array_equal(train.images * 255, raw[:5].reshape(5, 784))


def test_standardized_train_has_mean_0_std_1() -> None:
    train = load_fashion_mnist("train", REAL_DIR, download=False, standardize=True)
    test = load_fashion_mnist("test", REAL_DIR, download=False, standardize=True, subset=10)
    mean = train.images.mean(dtype=np.float64)
    # per-row float32 sums of squares, then float64: no 150 MB temporary as .std() would make
    mean_square = np.einsum("ij,ij->i", train.images, train.images).sum(dtype=np.float64) / train.images.size
    assert abs(mean) < 1e-5
    assert np.sqrt(mean_square - mean**2) == pytest.approx(1.0, abs=1e-5)
    assert test.normalization == train.normalization
    assert train.normalization.mean == pytest.approx(0.2860, abs=5e-4)  # the published pixel mean
    assert train.normalization.std == pytest.approx(0.3530, abs=5e-4)


def labels_of(batches: object) -> list[list[int]]:
    return [y.array.tolist() for _, y in batches]  # type: ignore[attr-defined]


def test_loader_determinism_and_resume(splits: dict[str, ArrayDataset]) -> None:
    train = splits["train"]
    loader = DataLoader(train, batch_size=512, shuffle=True, seed=7)
    again = DataLoader(train, batch_size=512, shuffle=True, seed=7)
    epoch0 = list(loader.iter_from(0))
    assert len(epoch0) == len(loader) == 94 and len(epoch0[-1][1]) == 48000 - 93 * 512
    first_x, first_y = next(iter(again))
    np.testing.assert_array_equal(first_x.array, epoch0[0][0].array)
    np.testing.assert_array_equal(first_y.array, epoch0[0][1].array)
    assert labels_of(loader.iter_from(1)) != labels_of(epoch0)
    tail = list(loader.iter_from(0, 90))
    assert len(tail) == 4
    for (x, y), (x_full, y_full) in zip(tail, epoch0[90:], strict=True):
        np.testing.assert_array_equal(x.array, x_full.array)
        np.testing.assert_array_equal(y.array, y_full.array)
    dropped = DataLoader(train, batch_size=512, shuffle=True, seed=7, drop_last=True)
    assert len(dropped) == len(list(dropped.iter_from(0))) == 93
    assert labels_of(dropped.iter_from(0)) == labels_of(epoch0[:93])
