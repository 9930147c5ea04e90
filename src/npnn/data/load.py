"""`load_fashion_mnist`: the train/val/test splits as normalized float32 ArrayDatasets."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from npnn.data.dataset import ArrayDataset, Normalization
from npnn.data.fashion_mnist import CLASS_NAMES, DataLocation, file_key, locate, read_verified
from npnn.data.idx import IdxError

SPLITS = ("train", "val", "test")
VAL_SPLITS = ("tail", "stratified")
VAL_FRACTION = 0.2  # 12,000 of the 60,000 training images, as the original
TRAIN_FILE_IMAGES = 60_000
IMAGE_SHAPE = (28, 28)

# (train images file key, val_split, seed) -> Normalization of that train split
_STATS: dict[tuple[object, ...], Normalization] = {}


def _pair(location: DataLocation, part: str, verify: bool) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) uint8 of `part` ('train' or 'test'), cross-checked."""
    images_path, labels_path = location.files[f"{part}_images"], location.files[f"{part}_labels"]
    images, labels = read_verified(images_path, verify), read_verified(labels_path, verify)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise IdxError(
            f"{images_path}: expected uint8 images of shape (N, 28, 28), got {images.dtype} {images.shape}; "
            "this is not a Fashion-MNIST image file"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise IdxError(
            f"{labels_path}: expected uint8 labels of shape (N,), got {labels.dtype} {labels.shape}; "
            "this is not a Fashion-MNIST label file"
        )
    if len(images) != len(labels):
        raise IdxError(
            f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels; "
            "the files do not belong together: delete both and download them again"
        )
    if len(labels) and labels.max() >= len(CLASS_NAMES):
        bad = int(np.argmax(labels >= len(CLASS_NAMES)))
        raise IdxError(
            f"{labels_path}: label {labels[bad]} at index {bad} is not a class "
            f"(expected 0..{len(CLASS_NAMES) - 1}); "
            "the file is corrupt: delete it and download it again"
        )
    return images, labels


def split_indices(
    labels: np.ndarray, val_split: str = "tail", seed: int = 0, val_fraction: float = VAL_FRACTION
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (train, val) indices into the training file.

    'tail': the last `val_fraction` are validation (20%: the original's split). 'stratified': a
    seeded `val_fraction` of each class (1,200 per class for Fashion-MNIST at 20%).
    """
    _check_fraction(val_fraction)
    n = len(labels)
    if val_split == "tail":
        n_val = round(n * val_fraction)
        return _nonempty(np.arange(n - n_val), np.arange(n - n_val, n), val_fraction)
    if val_split != "stratified":
        raise ValueError(f"val_split must be one of {VAL_SPLITS}, got {val_split!r}")
    rng = np.random.default_rng(seed)
    val = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        val.append(rng.choice(members, size=round(len(members) * val_fraction), replace=False))
    is_val = np.zeros(n, dtype=bool)
    is_val[np.concatenate(val) if val else []] = True
    return _nonempty(np.flatnonzero(~is_val), np.flatnonzero(is_val), val_fraction)


def _nonempty(train: np.ndarray, val: np.ndarray, val_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    if len(train) == 0 or len(val) == 0:
        empty = "training" if len(train) == 0 else "validation"
        raise ValueError(f"val_fraction={val_fraction:g} of {len(train) + len(val):,} images leaves no "
                         f"{empty} images: choose a fraction nearer 0.5")
    return train, val


def split_sizes(val_split: str = "tail", val_fraction: float = VAL_FRACTION) -> tuple[int, int]:
    """(train, val) image counts of Fashion-MNIST's 60,000-image training file split this way
    (6,000 per class), without reading it."""
    per_class = TRAIN_FILE_IMAGES // len(CLASS_NAMES)
    n_val = (round(TRAIN_FILE_IMAGES * val_fraction) if val_split == "tail"
             else round(per_class * val_fraction) * len(CLASS_NAMES))
    return TRAIN_FILE_IMAGES - n_val, n_val


def _check_fraction(val_fraction: float) -> None:
    number = isinstance(val_fraction, (int, float)) and not isinstance(val_fraction, bool)
    if not number or not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be a number between 0 and 1 (exclusive), got {val_fraction!r}")


def _train_stats(images: np.ndarray, train_idx: np.ndarray, key: tuple[object, ...]) -> Normalization:
    """Mean and std of the [0, 1] pixels of the train split, exact from a byte histogram."""
    if key not in _STATS:
        counts = np.zeros(256, dtype=np.int64)
        for start in range(0, len(train_idx), 4096):  # bounded temporaries
            counts += np.bincount(images[train_idx[start : start + 4096]].ravel(), minlength=256)
        values = np.arange(256) / 255.0
        total = counts.sum()
        mean = float(counts @ values / total)
        std = float(np.sqrt(counts @ (values - mean) ** 2 / total))
        _STATS[key] = Normalization("standardize", mean, std)
    return _STATS[key]


def load_fashion_mnist(
    split: str,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    standardize: bool = False,
    val_split: str = "tail",
    seed: int = 0,
    subset: int | None = None,
    verify: bool = True,
    val_fraction: float = VAL_FRACTION,
) -> ArrayDataset:
    """One split of Fashion-MNIST: float32 images (N, 784) and int64 labels.

    'train' and 'val' come from the 60,000-image training file (48,000 / 12,000 with the
    default `val_fraction`, see `split_indices`), 'test' is the 10,000-image test file. Pixels
    are scaled to [0, 1]; `standardize` then subtracts the train split's pixel mean and divides
    by its std (the same two scalars whichever split is loaded). `subset` keeps the first N after splitting.
    `verify=False` skips the SHA-256 check (for custom files in the same format).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if val_split not in VAL_SPLITS:
        raise ValueError(f"val_split must be one of {VAL_SPLITS}, got {val_split!r}")
    if subset is not None and (isinstance(subset, bool) or not isinstance(subset, int) or subset < 1):
        raise ValueError(f"subset must be a positive int or None, got {subset!r}")
    _check_fraction(val_fraction)
    location = locate(data_dir, download=download)
    if split == "test":
        images, labels = _pair(location, "test", verify)
        idx = np.arange(len(labels))
    else:
        images, labels = _pair(location, "train", verify)
        train_idx, val_idx = split_indices(labels, val_split, seed, val_fraction)
        idx = val_idx if split == "val" else train_idx
    if subset is not None:
        if subset > len(idx):
            raise ValueError(f"subset={subset} is larger than the {len(idx)}-image {split} split")
        idx = idx[:subset]
    normalization = Normalization()
    if standardize:
        train_images, train_labels = _pair(location, "train", verify)  # cached: no second read
        split_seed = seed if val_split == "stratified" else 0
        key = (file_key(Path(location.files["train_images"])), val_split, split_seed, val_fraction)
        train_idx = split_indices(train_labels, val_split, seed, val_fraction)[0]
        normalization = _train_stats(train_images, train_idx, key)
    pixels = images[idx].reshape(len(idx), -1)
    return ArrayDataset(
        normalization.apply(pixels),
        labels[idx].astype(np.int64),
        class_names=CLASS_NAMES,
        normalization=normalization,
    )
