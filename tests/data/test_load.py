"""load_fashion_mnist on small fake files: verification, cross-file checks, splits, normalization."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from data_fakes import fake_arrays, fake_sha256, write_fake

from npnn.data import ChecksumError, IdxError, fashion_mnist, load_fashion_mnist, write_idx
from npnn.data.fashion_mnist import read_verified
from npnn.data.load import split_indices, split_sizes


@pytest.fixture
def fake_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fake files that pass verification: their digests stand in for the canonical ones."""
    for name, digest in fake_sha256().items():
        monkeypatch.setitem(fashion_mnist.SHA256, name, digest)
    return write_fake(tmp_path / "fake")


def test_digest_mismatch_names_file_digests_and_fix(tmp_path: Path) -> None:
    write_fake(tmp_path)  # not the canonical bytes
    with pytest.raises(ChecksumError) as raised:
        load_fashion_mnist("train", tmp_path, download=False)
    message = str(raised.value)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    actual = fake_sha256()["train-images-idx3-ubyte"]
    expected = fashion_mnist.SHA256["train-images-idx3-ubyte"]
    assert f"{path}: SHA-256 of the decompressed data is {actual}, expected {expected}" in message
    assert "delete it and run again" in message and "--reinstall dataset-fashion-mnist" in message
    assert load_fashion_mnist("test", tmp_path, download=False, verify=False).images.shape == (20, 784)


def test_mismatched_counts_name_both_files(tmp_path: Path) -> None:
    arrays = fake_arrays()
    arrays["train-labels-idx1-ubyte"] = arrays["train-labels-idx1-ubyte"][:-1]
    write_fake(tmp_path, arrays=arrays)
    with pytest.raises(IdxError) as raised:
        load_fashion_mnist("train", tmp_path, download=False, verify=False)
    assert (
        f"{tmp_path / 'train-images-idx3-ubyte.gz'} has 50 images but "
        f"{tmp_path / 'train-labels-idx1-ubyte.gz'} has 49 labels" in str(raised.value)
    )


def test_label_out_of_range_names_the_file(tmp_path: Path) -> None:
    arrays = fake_arrays()
    arrays["t10k-labels-idx1-ubyte"][7] = 10
    write_fake(tmp_path, arrays=arrays)
    with pytest.raises(IdxError, match=r"t10k-labels-idx1-ubyte\.gz: label 10 at index 7 is not a class"):
        load_fashion_mnist("test", tmp_path, download=False, verify=False)


def test_wrong_image_shape_names_the_file(tmp_path: Path) -> None:
    arrays = fake_arrays()
    arrays["train-images-idx3-ubyte"] = arrays["train-images-idx3-ubyte"].reshape(50, 784)
    write_fake(tmp_path, arrays=arrays)
    with pytest.raises(IdxError, match=r"train-images-idx3-ubyte\.gz: expected uint8 images of shape"):
        load_fashion_mnist("train", tmp_path, download=False, verify=False)


def test_reads_are_cached_until_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "t10k-labels-idx1-ubyte"
    write_idx(path, np.arange(5, dtype=np.uint8))
    first = read_verified(path, verify=False)
    assert read_verified(path, verify=False) is first
    assert not first.flags.writeable  # shared, so read-only
    write_idx(path, np.arange(6, dtype=np.uint8))
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 10**9))
    assert len(read_verified(path, verify=False)) == 6


def test_splits_images_labels_and_dtypes(fake_dir: Path) -> None:
    arrays = fake_arrays()
    train = load_fashion_mnist("train", fake_dir, download=False)
    val = load_fashion_mnist("val", fake_dir, download=False)
    test = load_fashion_mnist("test", fake_dir, download=False)
    assert (len(train), len(val), len(test)) == (40, 10, 20)
    assert train.images.dtype == np.float32 and train.labels.dtype == np.int64
    pixels = arrays["train-images-idx3-ubyte"].reshape(50, 784)
    np.testing.assert_array_equal(train.images, pixels[:40] / np.float32(255))
    np.testing.assert_array_equal(val.images, pixels[40:] / np.float32(255))
    np.testing.assert_array_equal(test.labels, arrays["t10k-labels-idx1-ubyte"])
    assert train.class_names == fashion_mnist.CLASS_NAMES
    assert train.normalization.to_dict() == {"name": "unit", "mean": 0.0, "std": 1.0}


def test_standardize_uses_train_statistics_for_every_split(fake_dir: Path) -> None:
    train = load_fashion_mnist("train", fake_dir, download=False, standardize=True)
    test = load_fashion_mnist("test", fake_dir, download=False, standardize=True)
    pixels = fake_arrays()["train-images-idx3-ubyte"][:40] / 255.0
    assert train.normalization == test.normalization
    assert train.normalization.name == "standardize"
    assert train.normalization.mean == pytest.approx(pixels.mean(), rel=1e-12)
    assert train.normalization.std == pytest.approx(pixels.std(), rel=1e-12)
    raw_test = fake_arrays()["t10k-images-idx3-ubyte"].reshape(20, 784) / 255.0
    expected = (raw_test - pixels.mean()) / pixels.std()
    np.testing.assert_allclose(test.images, expected, rtol=1e-6, atol=1e-6)


def test_subset_keeps_the_first_n_after_splitting(fake_dir: Path) -> None:
    val = load_fashion_mnist("val", fake_dir, download=False)
    small = load_fashion_mnist("val", fake_dir, download=False, subset=3)
    np.testing.assert_array_equal(small.images, val.images[:3])
    with pytest.raises(ValueError, match="subset=11 is larger than the 10-image val split"):
        load_fashion_mnist("val", fake_dir, download=False, subset=11)


def test_stratified_split_is_seeded_and_balanced() -> None:
    labels = np.repeat(np.arange(10), 30)
    train, val = split_indices(labels, "stratified", seed=1)
    assert np.bincount(labels[val]).tolist() == [6] * 10
    assert np.array_equal(np.sort(np.concatenate([train, val])), np.arange(300))
    assert np.all(np.diff(val) > 0) and np.all(np.diff(train) > 0)
    assert np.array_equal(split_indices(labels, "stratified", seed=1)[1], val)
    assert not np.array_equal(split_indices(labels, "stratified", seed=2)[1], val)


@pytest.mark.parametrize("val_split", ["tail", "stratified"])
@pytest.mark.parametrize("fraction", [0.1, 0.2, 1 / 6, 0.5])
def test_val_fraction_sizes_the_split_as_split_sizes_says(val_split: str, fraction: float) -> None:
    labels = np.repeat(np.arange(10), 6000)
    train, val = split_indices(labels, val_split, seed=3, val_fraction=fraction)
    assert (len(train), len(val)) == split_sizes(val_split, fraction)
    assert len(val) == round(60_000 * fraction) and not set(train) & set(val)
    if val_split == "stratified":
        assert np.bincount(labels[val]).tolist() == [round(6000 * fraction)] * 10
    else:
        assert val[0] == 60_000 - len(val) and val[-1] == 59_999


def test_val_fraction_changes_the_standardization_of_every_split(fake_dir: Path) -> None:
    def stats(fraction: float) -> tuple[float, float]:
        data = load_fashion_mnist("test", fake_dir, download=False, standardize=True, val_fraction=fraction)
        return data.normalization.mean, data.normalization.std

    assert stats(0.5) != stats(0.2)
    assert stats(0.2) == stats(0.2)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, True, "0.1"])
def test_val_fraction_outside_0_1_is_refused(fake_dir: Path, fraction: object) -> None:
    with pytest.raises(ValueError, match="val_fraction must be a number between 0 and 1"):
        load_fashion_mnist("train", fake_dir, download=False, val_fraction=fraction)  # type: ignore[arg-type]


def test_val_fraction_that_leaves_a_split_empty_says_so() -> None:
    with pytest.raises(ValueError, match=r"leaves no validation images: choose a fraction nearer 0\.5"):
        split_indices(np.repeat(np.arange(10), 3), "stratified", val_fraction=0.1)
    with pytest.raises(ValueError, match="leaves no training images"):
        split_indices(np.arange(30), "tail", val_fraction=0.99)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"split": "valid"}, "split must be one of"),
        ({"split": "train", "val_split": "random"}, "val_split must be one of"),
        ({"split": "train", "subset": 0}, "subset must be a positive int"),
    ],
)
def test_bad_arguments(fake_dir: Path, kwargs: dict[str, object], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        load_fashion_mnist(data_dir=fake_dir, download=False, **kwargs)  # type: ignore[arg-type]
