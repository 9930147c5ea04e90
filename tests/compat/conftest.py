"""Tutorial runs: Debian's real Fashion-MNIST (a subset), a fresh directory, figures off-screen."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pytest
from porting import SmallFashionMNIST
from tutorial_changes import ABSENT_MODULES

import npnn
from npnn.vision import datasets

matplotlib.use("Agg")  # before pyplot is imported by a tutorial: plt.show() draws nothing
import matplotlib.pyplot as plt


@pytest.fixture(autouse=True)
def tutorial_setting(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """npnn's search sees neither $NPNN_DATA nor the user's cache (Debian's directory stays);
    root="data" and the saved files land in tmp_path; the datasets are the small subset; the
    modules this environment lacks get the stand-ins of tutorial_changes.ABSENT_MODULES."""
    monkeypatch.delenv("NPNN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(datasets, "FashionMNIST", SmallFashionMNIST)
    for name, module in ABSENT_MODULES.items():
        monkeypatch.setitem(sys.modules, name, module)
    npnn.manual_seed(0)
    yield
    plt.close("all")
