"""ArrayDataset indexing and validation; Normalization's byte-to-float mapping."""

from __future__ import annotations

import numpy as np
import pytest

from npnn.data import ArrayDataset, Normalization


@pytest.fixture
def dataset() -> ArrayDataset:
    return ArrayDataset(np.arange(20, dtype=np.float32).reshape(10, 2), np.arange(10) % 3, ["a", "b", "c"])


def test_int_slice_and_index_array(dataset: ArrayDataset) -> None:
    image, label = dataset[4]
    assert image.tolist() == [8.0, 9.0] and label == 1
    images, labels = dataset[2:5]
    assert images.shape == (3, 2) and labels.tolist() == [2, 0, 1]
    images, labels = dataset[np.array([9, 0, 9])]
    assert images[:, 0].tolist() == [18.0, 0.0, 18.0] and labels.tolist() == [0, 0, 0]
    assert dataset[[1, 2]][1].tolist() == [1, 2]
    assert dataset[np.int64(3)][1] == 0
    assert len(dataset[[]][0]) == 0


def test_attributes_and_len(dataset: ArrayDataset) -> None:
    assert len(dataset) == 10
    assert dataset.class_names == ("a", "b", "c")
    assert dataset.images.shape == (10, 2) and dataset.normalization is None
    assert "10 samples" in repr(dataset)


def test_default_class_names() -> None:
    assert ArrayDataset(np.zeros((3, 1)), np.array([0, 4, 1])).class_names == ("0", "1", "2", "3", "4")


@pytest.mark.parametrize("index", [np.array([0.5]), np.array([True, False] * 5), np.zeros((2, 2), int), True])
def test_rejects_other_indices(dataset: ArrayDataset, index: object) -> None:
    with pytest.raises(TypeError, match="int, a slice or a 1-D integer array"):
        dataset[index]  # type: ignore[index]


def test_out_of_range_index(dataset: ArrayDataset) -> None:
    with pytest.raises(IndexError):
        dataset[np.array([10])]


@pytest.mark.parametrize(
    ("images", "labels", "names", "error"),
    [
        (np.zeros((3, 2)), np.zeros(2, int), None, "same length, got .3,. images and 2 labels"),
        (np.zeros((3, 2)), np.zeros(3), None, "1-D integer array"),
        (np.zeros((3, 2)), np.array([0, 1, 3]), ["a", "b", "c"], r"labels must lie in 0\.\.2"),
        (np.zeros((3, 2)), np.array([0, -1, 1]), ["a", "b"], r"labels must lie in 0\.\.1"),
    ],
)
def test_validation(images: np.ndarray, labels: np.ndarray, names: list[str] | None, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        ArrayDataset(images, labels, names)


def test_normalization_maps_every_byte_like_the_formula() -> None:
    pixels = np.arange(256, dtype=np.uint8)
    unit = Normalization().apply(pixels)
    assert unit.dtype == np.float32 and unit[0] == 0.0 and unit[255] == 1.0
    np.testing.assert_array_equal(unit, (np.arange(256) / 255.0).astype(np.float32))
    standard = Normalization("standardize", 0.25, 0.5).apply(pixels)
    np.testing.assert_array_equal(standard, ((np.arange(256) / 255.0 - 0.25) / 0.5).astype(np.float32))
