"""MNIST and Fashion-MNIST as torchvision's `datasets.MNIST` / `datasets.FashionMNIST`.

Files are looked for in torchvision's layout, `root/<ClassName>/raw/` (the four IDX files,
gzipped or not); Fashion-MNIST then falls back to npnn's own search (`npnn.data.locate`:
$NPNN_DATA, the user cache, Debian's /usr/share/datasets/fashion-mnist), and `download=True`
downloads into `root/FashionMNIST/raw` with npnn's verified download. Differences from
torchvision: MNIST is read from local files only (npnn's verified download knows Fashion-MNIST's
checksums only, so MNIST files are checked for IDX structure and shape, not checksums); an item's
image is a PIL Image (mode "L") when Pillow is installed, else an HxW uint8 NumPy array;
`.data`/`.targets` share memory with a read-only in-process cache of the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from npnn._tensor import Tensor
from npnn.creation import as_tensor
from npnn.data.fashion_mnist import (
    CLASS_NAMES,
    FILES,
    DataLocation,
    DataNotFoundError,
    locate,
    read_verified,
    shown,
    unusable,
)
from npnn.utils.data.dataset import Dataset
from npnn.vision.pil import to_pil_image

NOT_FOUND = "Dataset not found. You can use download=True to download it"


class MNIST(Dataset[tuple[Any, Any]]):
    """MNIST digits from `root/MNIST/raw` (local files only; see the module docstring)."""

    classes: ClassVar[list[str]] = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    verify_checksums = False  # npnn knows no MNIST checksums
    searches_npnn_data = False  # npnn's own search (and Debian's package) holds Fashion-MNIST only

    def __init__(
        self,
        root: str | os.PathLike[str],
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        download: bool = False,
    ) -> None:
        self.root = os.path.expanduser(root) if isinstance(root, str) else root
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        location = self._locate(download)
        part = "train" if train else "test"
        images_path, labels_path = location.files[f"{part}_images"], location.files[f"{part}_labels"]
        images = read_verified(images_path, self.verify_checksums)
        labels = read_verified(labels_path, self.verify_checksums)
        if images.dtype != np.uint8 or images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise RuntimeError(
                f"{shown(images_path)} and {shown(labels_path)} are not a pair of {type(self).__name__} "
                f"files: images {images.dtype} {images.shape}, labels {labels.dtype} {labels.shape}; "
                "delete them and get fresh copies")
        self.data: Tensor = as_tensor(images)
        self.targets: Tensor = as_tensor(labels.astype(np.int64))

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def _locate(self, download: bool) -> DataLocation:
        raw = Path(self.raw_folder)
        try:
            return locate(raw, download=False)
        except DataNotFoundError:
            pass
        searched = ""
        if self.searches_npnn_data:
            try:
                return locate(download=False)
            except DataNotFoundError as exc:
                searched = f"; then npnn's search: {exc}"
        if download:
            return self._download(raw)
        state = unusable(raw) or "not all of " + ", ".join(f"{name}[.gz]" for name in FILES.values())
        raise RuntimeError(f"{NOT_FOUND}. Looked in {shown(raw)}: {state}{searched}")

    def _download(self, raw: Path) -> DataLocation:
        raise RuntimeError(
            f"npnn cannot download {type(self).__name__}: its verified download knows only Fashion-MNIST's "
            f"files and checksums. Put " + ", ".join(f"{name}.gz" for name in FILES.values())
            + f" (from the MNIST site or a mirror) into {shown(raw)} and use download=False")

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = to_pil_image(np.asarray(self.data)[index])
        target = int(np.asarray(self.targets)[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}", f"    Split: {'Train' if self.train else 'Test'}"]
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        if self.target_transform is not None:
            lines.append(f"    Target transform: {self.target_transform!r}")
        return "\n".join(lines)


class FashionMNIST(MNIST):
    """Fashion-MNIST from `root/FashionMNIST/raw`, else npnn's data search; downloads if asked."""

    classes: ClassVar[list[str]] = list(CLASS_NAMES)
    verify_checksums = True
    searches_npnn_data = True

    def _download(self, raw: Path) -> DataLocation:
        raw.mkdir(parents=True, exist_ok=True)
        try:
            return locate(raw, download=True)
        except DataNotFoundError as exc:
            raise RuntimeError(f"Downloading FashionMNIST into {shown(raw)} failed: {exc}") from exc
