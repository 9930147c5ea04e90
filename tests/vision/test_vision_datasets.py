"""npnn.vision.datasets: torchvision's MNIST / FashionMNIST interface on the real files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from real_files import REAL_DIR, raw_idx

import npnn
from npnn.data import fashion_mnist
from npnn.data.idx import write_idx
from npnn.vision import datasets, pil
from npnn.vision.transforms import ToTensor

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte")
NOT_FOUND = "Dataset not found. You can use download=True to download it"


@pytest.fixture(scope="module")
def test_pixels() -> np.ndarray:
    return raw_idx("t10k-images-idx3-ubyte", 16).reshape(10000, 28, 28)


def test_fashion_mnist_falls_back_to_npnn_search(tmp_path: Path, test_pixels: np.ndarray) -> None:
    dataset = datasets.FashionMNIST(tmp_path, train=False)
    labels = raw_idx("t10k-labels-idx1-ubyte", 8)
    assert len(dataset) == 10000
    assert dataset.classes == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]  # torchvision's
    assert dataset.data.shape == (10000, 28, 28) and dataset.data.dtype == np.uint8
    assert dataset.targets.shape == (10000,) and dataset.targets.dtype == np.int64
    np.testing.assert_array_equal(np.asarray(dataset.targets), labels)
    image, label = dataset[1234]
    assert label == labels[1234] and type(label) is int
    assert image.mode == "L" and image.size == (28, 28)
    np.testing.assert_array_equal(np.array(image), test_pixels[1234])
    assert not (tmp_path / "FashionMNIST").exists()  # found elsewhere: nothing downloaded or created
    assert len(datasets.FashionMNIST(tmp_path, train=True)) == 60000


def test_torchvision_layout_is_looked_in_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "no-debian")
    with pytest.raises(RuntimeError, match=NOT_FOUND) as error:
        datasets.FashionMNIST(tmp_path, train=False)
    assert str(tmp_path / "FashionMNIST" / "raw") in str(error.value) and "no-debian" in str(error.value)
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in FILES:
        (raw / f"{name}.gz").symlink_to(REAL_DIR / f"{name}.gz")
    assert len(datasets.FashionMNIST(tmp_path, train=False)) == 10000


def test_download_goes_into_the_raw_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real_locate = fashion_mnist.locate

    def fake_locate(data_dir=None, download=True, **kwargs):
        calls.append((data_dir, download))
        if not download:
            raise fashion_mnist.DataNotFoundError("nothing here")
        return real_locate(REAL_DIR, download=False)

    monkeypatch.setattr(datasets, "locate", fake_locate)
    dataset = datasets.FashionMNIST(str(tmp_path), train=False, download=True)
    raw = tmp_path / "FashionMNIST" / "raw"
    assert calls == [(raw, False), (None, False), (raw, True)] and raw.is_dir() and len(dataset) == 10000


def test_mnist_reads_local_files_and_refuses_to_download(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=NOT_FOUND):  # Debian's Fashion-MNIST is not MNIST
        datasets.MNIST(tmp_path)
    with pytest.raises(RuntimeError, match="cannot download MNIST"):
        datasets.MNIST(tmp_path, download=True)
    assert not (tmp_path / "MNIST").exists()
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    for name, array in zip(FILES, (images[:3], np.array([7, 0, 3], np.uint8), images[3:],
                                   np.array([1, 9], np.uint8)), strict=True):
        write_idx(raw / f"{name}.gz", array, compress=True)
    train = datasets.MNIST(tmp_path, transform=ToTensor(), target_transform=lambda y: -y)
    test = datasets.MNIST(tmp_path, train=False)
    assert len(train) == 3 and len(test) == 2 and train.classes[7] == "7 - seven"
    image, label = train[2]
    assert label == -3 and image.shape == (1, 28, 28)
    np.testing.assert_array_equal(np.asarray(image)[0], images[2].astype(np.float32) / np.float32(255))
    assert "Split: Test" in repr(test) and "Number of datapoints: 2" in repr(test)


def test_without_pillow_items_are_arrays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          test_pixels: np.ndarray) -> None:
    monkeypatch.setattr(pil, "pil_image_class", lambda: None)
    image, _ = datasets.FashionMNIST(tmp_path, train=False)[3]
    assert isinstance(image, np.ndarray) and image.dtype == np.uint8
    np.testing.assert_array_equal(image, test_pixels[3])


def test_replacing_data_and_targets_as_torchvision_users_do(tmp_path: Path) -> None:
    dataset = datasets.FashionMNIST(tmp_path, train=False)
    dataset.data, dataset.targets = dataset.data[:100], dataset.targets[:100]
    assert len(dataset) == 100 and isinstance(dataset.data, npnn.Tensor)
    assert dataset[99][1] == int(np.asarray(dataset.targets)[99])


def test_torchvision_parity(tmp_path: Path) -> None:
    torchvision = pytest.importorskip("torchvision", reason="torchvision is not installed (torch only): "
                                      "the checks against the raw bytes above stand in for it")
    raw = tmp_path / "FashionMNIST" / "raw"  # torchvision wants the files uncompressed
    raw.mkdir(parents=True)
    for name in FILES:
        (raw / name).write_bytes(gzip.decompress((REAL_DIR / f"{name}.gz").read_bytes()))
    to_tensor = torchvision.transforms.ToTensor()
    theirs = torchvision.datasets.FashionMNIST(tmp_path, train=False, transform=to_tensor)
    ours = datasets.FashionMNIST(tmp_path, train=False, transform=ToTensor())
    assert ours.classes == theirs.classes and len(ours) == len(theirs)
    np.testing.assert_array_equal(np.asarray(ours.data), theirs.data.numpy())
    np.testing.assert_array_equal(np.asarray(ours.targets), theirs.targets.numpy())
    for index in (0, 4321):
        np.testing.assert_array_equal(np.asarray(ours[index][0]), theirs[index][0].numpy())
        assert ours[index][1] == theirs[index][1]
