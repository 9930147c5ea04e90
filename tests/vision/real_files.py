"""The real Fashion-MNIST files for the vision tests, read without npnn's reader."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

REAL_DIR = Path("/usr/share/datasets/fashion-mnist")  # `sudo apt-get install dataset-fashion-mnist`


def raw_idx(name: str, header: int) -> np.ndarray:
    """The bytes after the IDX header of a real file, read without npnn's reader."""
    with gzip.open(REAL_DIR / f"{name}.gz", "rb") as handle:
        return np.frombuffer(handle.read(), dtype=np.uint8, offset=header)
