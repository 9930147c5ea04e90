"""Downloads against a real HTTP server on 127.0.0.1: verified, atomic, with mirror fallback."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
from data_fakes import Server, fake_arrays, fake_sha256

from npnn.data import ChecksumError, DataNotFoundError, DownloadError, fashion_mnist, locate, read_idx
from npnn.data.download import download
from npnn.data.idx import encode_idx

PAYLOAD = encode_idx(np.arange(100, dtype=np.uint8))
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


def serve_fakes(server: Server, prefix: str = "") -> None:
    for name, array in fake_arrays().items():
        server.files[f"{prefix}/{name}.gz"] = gzip.compress(encode_idx(array))


@pytest.fixture
def fake_canon(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the fake files the canonical ones."""
    for name, digest in fake_sha256().items():
        monkeypatch.setitem(fashion_mnist.SHA256, name, digest)


def test_download_verifies_and_renames(http_server: Server, tmp_path: Path) -> None:
    http_server.files["/x.gz"] = gzip.compress(PAYLOAD)
    dest = tmp_path / "new" / "x.gz"
    assert download([f"{http_server.url}/x.gz"], dest, DIGEST) == PAYLOAD
    assert dest.read_bytes() == http_server.files["/x.gz"]  # stored as served (still gzipped)
    assert [p.name for p in dest.parent.iterdir()] == ["x.gz"]
    assert dest.stat().st_mode & 0o444 == 0o444


def test_cut_off_transfer_leaves_nothing(http_server: Server, tmp_path: Path) -> None:
    http_server.files["/x.gz"] = gzip.compress(PAYLOAD)
    http_server.cut.add("/x.gz")
    with pytest.raises(DownloadError, match="transfer cut off after"):
        download([f"{http_server.url}/x.gz"], tmp_path / "x.gz", DIGEST)
    assert list(tmp_path.iterdir()) == []


def test_digest_mismatch_leaves_nothing_and_names_both_digests(http_server: Server, tmp_path: Path) -> None:
    http_server.files["/x"] = PAYLOAD[:-1] + b"\x07"
    with pytest.raises(ChecksumError) as raised:
        download([f"{http_server.url}/x"], tmp_path / "x", DIGEST)
    message = str(raised.value)
    actual = hashlib.sha256(http_server.files["/x"]).hexdigest()
    assert f"{http_server.url}/x: SHA-256 of the decompressed data is {actual}, expected {DIGEST}" in message
    assert "nothing was saved" in message
    assert list(tmp_path.iterdir()) == []


def test_falls_back_to_the_mirror(http_server: Server, tmp_path: Path) -> None:
    http_server.files["/mirror/x"] = PAYLOAD
    urls = [f"{http_server.url}/missing/x", f"{http_server.url}/mirror/x"]
    assert download(urls, tmp_path / "x", DIGEST) == PAYLOAD


def test_locate_downloads_into_the_cache(http_server: Server, fake_canon: None) -> None:
    serve_fakes(http_server, "/base")
    location = locate(base_url=f"{http_server.url}/base/")
    assert location.source == "downloaded"
    assert location.directory == fashion_mnist.cache_dir()
    assert sorted(p.name for p in location.directory.iterdir()) == sorted(
        f"{name}.gz" for name in fashion_mnist.FILES.values()
    )
    np.testing.assert_array_equal(
        read_idx(location.files["test_images"]), fake_arrays()["t10k-images-idx3-ubyte"]
    )
    assert locate(download=False).source == "cache"  # found there next time


def test_locate_downloads_into_npnn_data_and_completes_a_partial_dir(
    http_server: Server, fake_canon: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_fakes(http_server)
    monkeypatch.setenv("NPNN_DATA", str(tmp_path))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(encode_idx(fake_arrays()["train-labels-idx1-ubyte"]))
    del http_server.files["/train-labels-idx1-ubyte.gz"]  # only the missing three may be fetched
    location = locate(base_url=http_server.url)
    assert (location.source, location.directory) == ("downloaded", tmp_path)
    assert location.files["train_labels"] == tmp_path / "train-labels-idx1-ubyte"


def test_explicit_data_dir_downloads_there(http_server: Server, fake_canon: None, tmp_path: Path) -> None:
    serve_fakes(http_server)
    (tmp_path / "d").mkdir()
    location = locate(tmp_path / "d", base_url=[f"{http_server.url}/nowhere", http_server.url])
    assert (location.source, location.directory) == ("downloaded", tmp_path / "d")
    assert len(list((tmp_path / "d").iterdir())) == 4


def test_server_dying_mid_transfer_is_not_found_and_atomic(
    http_server: Server, fake_canon: None, tmp_path: Path
) -> None:
    serve_fakes(http_server)
    http_server.cut.add("/t10k-images-idx3-ubyte.gz")
    with pytest.raises(DataNotFoundError) as raised:
        locate(tmp_path, base_url=http_server.url)
    assert "transfer cut off" in str(raised.value)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]  # complete files only


def test_offline_lists_places_and_fixes(http_server: Server) -> None:
    url = http_server.url
    http_server.shutdown()
    http_server.server_close()  # nothing listens on the port now
    with pytest.raises(DataNotFoundError) as raised:
        locate(base_url=url, timeout=5)
    message = str(raised.value)
    assert f"Downloading into {fashion_mnist.cache_dir()} failed" in message
    assert f"{url}/train-images-idx3-ubyte.gz" in message
    fixes = ("sudo apt-get install dataset-fashion-mnist", "--data-dir", "NPNN_DATA=DIR")
    for text in ("$NPNN_DATA: not set", "user cache", "Debian package dir", *fixes):
        assert text in message
    assert not fashion_mnist.cache_dir().exists() or not any(fashion_mnist.cache_dir().iterdir())


def test_wrong_file_from_server_is_a_checksum_error(http_server: Server, tmp_path: Path) -> None:
    serve_fakes(http_server)  # canonical digests are not patched: these are "wrong" files
    with pytest.raises(ChecksumError, match=fashion_mnist.SHA256["train-images-idx3-ubyte"]):
        locate(tmp_path, base_url=http_server.url)
    assert list(tmp_path.iterdir()) == []


def test_explicit_data_dir_that_does_not_exist_is_not_created(
    http_server: Server, fake_canon: None, tmp_path: Path
) -> None:
    serve_fakes(http_server)
    with pytest.raises(DataNotFoundError) as raised:
        locate(tmp_path / "typo", base_url=http_server.url)
    message = str(raised.value)
    assert "never created" in message and f"{tmp_path / 'typo'}: no such directory" in message
    assert not (tmp_path / "typo").exists()


def test_downloaded_files_get_the_umask_mode_not_mkstemps_private_one(
    http_server: Server, fake_canon: None, tmp_path: Path
) -> None:
    import os

    serve_fakes(http_server)
    previous = os.umask(0o002)
    try:
        locate(tmp_path, base_url=http_server.url)
    finally:
        os.umask(previous)
    assert {p.stat().st_mode & 0o777 for p in tmp_path.iterdir()} == {0o664}
