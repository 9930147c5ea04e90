"""Vision-test fixtures: the real Fashion-MNIST from Debian's package, nothing from the user's setup."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_user_data(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """npnn's search sees neither $NPNN_DATA nor the user's cache; Debian's directory stays."""
    monkeypatch.delenv("NPNN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
