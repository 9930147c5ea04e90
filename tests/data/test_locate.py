"""locate(): the search order, the explicit data_dir's authority, and the not-found message."""

from __future__ import annotations

from pathlib import Path

import pytest
from data_fakes import write_fake

from npnn.data import DataNotFoundError, fashion_mnist, locate


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point NPNN_DATA, the cache and the Debian dir at empty temp dirs."""
    env, xdg, debian = tmp_path / "env", tmp_path / "xdg", tmp_path / "debian"
    monkeypatch.setenv("NPNN_DATA", str(env))
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", debian)
    return {"NPNN_DATA": env, "cache": xdg / "npnn" / "fashion-mnist", "debian": debian}


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        (["NPNN_DATA", "cache", "debian"], "NPNN_DATA"),
        (["cache", "debian"], "cache"),
        (["debian"], "debian"),
    ],
)
def test_search_order(places: dict[str, Path], present: list[str], expected: str) -> None:
    for source in present:
        write_fake(places[source])
    location = locate(download=False)
    assert location.source == expected
    assert location.directory == places[expected]
    assert set(location.files) == set(fashion_mnist.FILES)
    assert all(path.parent == places[expected] for path in location.files.values())


def test_explicit_data_dir_wins_over_everything(places: dict[str, Path], tmp_path: Path) -> None:
    for directory in places.values():
        write_fake(directory)
    mine = write_fake(tmp_path / "mine", compress=False)
    location = locate(mine, download=False)
    assert (location.source, location.directory) == ("data_dir", mine)
    assert location.files["train_images"] == mine / "train-images-idx3-ubyte"


def test_explicit_data_dir_is_authoritative_when_empty(places: dict[str, Path], tmp_path: Path) -> None:
    write_fake(places["debian"])
    with pytest.raises(DataNotFoundError) as raised:
        locate(tmp_path / "empty", download=False)
    message = str(raised.value)
    assert f"data_dir {tmp_path / 'empty'}: no such directory" in message
    assert "Debian package dir" not in message and "download=False" in message


def test_each_file_may_be_gz_or_uncompressed_and_partial_dirs_are_skipped(
    places: dict[str, Path],
) -> None:
    write_fake(places["NPNN_DATA"])
    (places["NPNN_DATA"] / "t10k-labels-idx1-ubyte.gz").unlink()  # partial: skipped
    write_fake(places["cache"], compress=True)
    (places["cache"] / "train-images-idx3-ubyte.gz").rename(places["cache"] / "train-images-idx3-ubyte")
    location = locate(download=False)
    assert location.source == "cache"
    assert location.files["train_images"].name == "train-images-idx3-ubyte"
    assert location.files["train_labels"].name == "train-labels-idx1-ubyte.gz"


def test_unset_npnn_data_and_default_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert fashion_mnist.cache_dir() == tmp_path / ".cache" / "npnn" / "fashion-mnist"
    write_fake(tmp_path / ".cache" / "npnn" / "fashion-mnist")
    assert locate(download=False).source == "cache"


def test_not_found_lists_every_place_and_both_fixes(places: dict[str, Path]) -> None:
    places["NPNN_DATA"].mkdir()
    write_fake(places["cache"])
    (places["cache"] / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataNotFoundError) as raised:
        locate(download=False)
    message = str(raised.value)
    assert f"$NPNN_DATA {places['NPNN_DATA']}: none of the four files" in message
    assert f"user cache {places['cache']}: missing train-labels-idx1-ubyte[.gz]" in message
    assert f"Debian package dir {places['debian']}: no such directory" in message
    assert "sudo apt-get install dataset-fashion-mnist" in message
    assert fashion_mnist.BASE_URL in message and "t10k-labels-idx1-ubyte.gz" in message
    assert "--data-dir" in message and "NPNN_DATA=DIR" in message
    assert isinstance(raised.value, FileNotFoundError)


def test_not_found_says_npnn_data_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DataNotFoundError, match=r"\$NPNN_DATA: not set"):
        locate(download=False)
