"""Vision-test fixtures: the real Fashion-MNIST from Debian's package, nothing from the user's setup."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

REAL_DIR = Path("/usr/share/datasets/fashion-mnist")  # `sudo apt-get install dataset-fashion-mnist`


@pytest.fixture(autouse=True)
def no_user_data(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """npnn's search sees neither $NPNN_DATA nor the user's cache; Debian's directory stays."""
    monkeypatch.delenv("NPNN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


def raw_idx(name: str, header: int) -> np.ndarray:
    """The bytes after the IDX header of a real file, read without npnn's reader."""
    with gzip.open(REAL_DIR / f"{name}.gz", "rb") as handle:
        return np.frombuffer(handle.read(), dtype=np.uint8, offset=header)
