"""Damaged, hostile and half-downloaded data files: refused by name, never half-read, never inflated.

Covered elsewhere: wrong magic, truncated raw IDX, bad dtype code and short header
(tests/data/test_idx.py::test_malformed_files_are_rejected_naming_the_file), images/labels
count mismatch (tests/data/test_load.py::test_mismatched_counts_name_both_files), a label >= 10
(tests/data/test_load.py::test_label_out_of_range_names_the_file), a transfer cut off
(tests/data/test_download.py::test_cut_off_transfer_leaves_nothing) and a wrong file from the
server (tests/data/test_download.py::test_wrong_file_from_server_is_a_checksum_error).
"""

from __future__ import annotations

import gzip
import json
import signal
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator

import numpy as np
import pytest
from fault_tools import Handler, Server, fake_arrays, fake_sha256, isolate_data_lookup, python, write_fake

from npnn.data import ChecksumError, DataNotFoundError, IdxError, fashion_mnist, load_fashion_mnist, locate
from npnn.data.fashion_mnist import read_verified
from npnn.data.idx import decompress, encode_idx

LABELS = "train-labels-idx1-ubyte"
ALL_GZ = sorted(f"{name}.gz" for name in fashion_mnist.FILES.values())
IMAGES = "train-images-idx3-ubyte"


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user cache, $NPNN_DATA or Debian files; the fake files are the canonical ones."""
    isolate_data_lookup(tmp_path_factory.mktemp("isolated"), monkeypatch)
    for name, digest in fake_sha256().items():
        monkeypatch.setitem(fashion_mnist.SHA256, name, digest)
    monkeypatch.setattr(fashion_mnist, "_CACHE", {})


class StallingHandler(Handler):
    """Sends half of a path in `stall`, then waits for `release` before hanging up."""

    def do_GET(self) -> None:
        if self.path not in self.server.stall:
            super().do_GET()
            return
        body = self.server.files[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.server.release.wait(30)


@pytest.fixture
def server() -> Iterator[Server]:
    server = Server(("127.0.0.1", 0), StallingHandler)
    server.files, server.cut, server.stall, server.release = {}, set(), set(), threading.Event()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    for name, array in fake_arrays().items():
        server.files[f"/{name}.gz"] = gzip.compress(encode_idx(array))
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


def _peak_bytes(action) -> tuple[BaseException | None, int]:
    """Run `action`; return the exception it raised and the peak traced allocation."""
    tracemalloc.start()
    try:
        action()
    except BaseException as error:
        return error, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return None, 0


# ----- a flipped byte, a truncated .gz, lying headers, a gzip bomb -----

@pytest.mark.parametrize("name, stride", [(LABELS, 1), (IMAGES, 397)])
def test_one_flipped_byte_in_a_gz_is_refused_naming_the_file_or_is_harmless(tmp_path, name, stride):
    original = fake_arrays()[name]
    good = gzip.compress(encode_idx(original), mtime=0)
    path = tmp_path / f"{name}.gz"
    harmless = 0
    for position in range(0, len(good), stride):
        for bit in (0x01, 0x80):
            data = bytearray(good)
            data[position] ^= bit
            path.write_bytes(bytes(data))
            fashion_mnist._CACHE.clear()
            try:
                array = read_verified(path)
            except (IdxError, ChecksumError) as error:
                assert str(error).startswith(f"{path}: "), error
                continue
            # a flip in a field the data never depends on (gzip mtime, OS, unused padding bits)
            np.testing.assert_array_equal(array, original, err_msg=f"flip at byte {position}")
            harmless += 1
    assert harmless < len(good) // stride  # nearly every flip is caught


def test_a_truncated_gz_at_any_length_is_refused_naming_the_file(tmp_path):
    good = gzip.compress(encode_idx(fake_arrays()[LABELS]))
    path = tmp_path / f"{LABELS}.gz"
    for length in range(2, len(good)):
        path.write_bytes(good[:length])
        fashion_mnist._CACHE.clear()
        with pytest.raises(IdxError, match=rf"^{path}: (corrupt gzip data|truncated)"):
            read_verified(path)


def _lying_header(rows: int) -> bytes:
    """An images file whose header claims `rows` rows but that holds one image."""
    return bytes([0, 0, 0x08, 3]) + rows.to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + bytes(784)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_a_header_claiming_2_31_rows_is_refused_without_allocating(tmp_path, compress):
    write_fake(tmp_path)
    (tmp_path / f"{IMAGES}.gz").unlink()
    data = _lying_header(2**31)
    path = tmp_path / (f"{IMAGES}.gz" if compress else IMAGES)
    path.write_bytes(gzip.compress(data) if compress else data)
    error, peak = _peak_bytes(lambda: load_fashion_mnist("train", tmp_path, download=False))
    assert isinstance(error, IdxError), error
    message = str(error)
    assert message.startswith(f"{path}: truncated: ")  # the file, the expected and the found size
    assert "header says 2147483648x28x28 = 1683627180032 bytes of data, found 784" in message
    assert peak < 4 * 2**20, f"peak allocation {peak} bytes"


def _gzip_bomb() -> bytes:
    """A labels file of 10 labels followed by 300 MB of zeros, 300 kB compressed."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [compressor.compress(encode_idx(np.zeros(10, np.uint8)))]
    parts += [compressor.compress(bytes(2**20)) for _ in range(300)]
    return b"".join([*parts, compressor.flush()])


def test_a_gzip_bomb_is_refused_without_inflating_it(tmp_path):
    path = tmp_path / f"{LABELS}.gz"
    path.write_bytes(_gzip_bomb())
    error, peak = _peak_bytes(lambda: read_verified(path))
    assert isinstance(error, IdxError), error
    assert str(error).startswith(f"{path}: trailing bytes: header says 10 = 10 bytes of data, found more")
    assert peak < 4 * 2**20, f"peak allocation {peak} bytes"


def test_a_downloaded_gzip_bomb_is_refused_without_inflating_it_either():
    """Downloads gunzip bytes already in memory (idx.decompress), bounded the same way."""
    bomb = _gzip_bomb()
    error, peak = _peak_bytes(lambda: decompress(bomb, "https://mirror/labels.gz"))
    assert isinstance(error, IdxError), error
    assert str(error).startswith("https://mirror/labels.gz: trailing bytes: header says 10 = 10 bytes")
    assert peak < 4 * 2**20, f"peak allocation {peak} bytes"


# ----- the cache -----

def test_a_poisoned_cache_file_is_never_used_and_a_fresh_download_replaces_it(server):
    cache = fashion_mnist.cache_dir()
    arrays = fake_arrays()
    poisoned = dict(arrays, **{LABELS: arrays[LABELS][::-1].copy()})  # valid IDX, wrong labels
    write_fake(cache, arrays=poisoned)
    path = cache / f"{LABELS}.gz"
    read_verified(path, verify=False)  # in this process's memory now, unverified
    with pytest.raises(ChecksumError) as raised:
        load_fashion_mnist("train", download=False)
    message = str(raised.value)
    assert message.startswith(f"{path}: SHA-256 of the decompressed data is ")
    assert f"expected {fashion_mnist.SHA256[LABELS]}" in message and "delete it and run again" in message

    path.unlink()  # what the message says to do; the rerun downloads a good copy
    location = locate(base_url=server.url)
    assert (location.source, location.files["train_labels"]) == ("downloaded", path)
    labels = load_fashion_mnist("train", download=False).labels
    np.testing.assert_array_equal(labels, arrays[LABELS][:40].astype(np.int64))


# ----- interrupted downloads -----

def test_a_download_cut_mid_file_leaves_nothing_half_written_and_a_rerun_succeeds(server, tmp_path):
    server.cut.add(f"/{IMAGES}.gz")
    with pytest.raises(DataNotFoundError, match="transfer cut off"):
        locate(tmp_path, base_url=server.url)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # train images come first: nothing kept
    server.cut.clear()
    location = locate(tmp_path, base_url=server.url)
    assert location.source == "downloaded"
    assert sorted(p.name for p in tmp_path.iterdir()) == ALL_GZ
    test = load_fashion_mnist("test", tmp_path, download=False)
    np.testing.assert_array_equal(test.labels, fake_arrays()["t10k-labels-idx1-ubyte"].astype(np.int64))


DOWNLOAD = """
import json, sys
from npnn.data import fashion_mnist, locate
fashion_mnist.SHA256.update(json.loads(sys.argv[3]))
locate(sys.argv[1], base_url=sys.argv[2])
print("downloaded")
"""


def test_a_killed_download_leaves_a_part_file_that_is_never_read_and_is_swept(server, tmp_path):
    server.stall.add(f"/{IMAGES}.gz")
    digests = json.dumps(fake_sha256())
    process = python(DOWNLOAD, tmp_path, server.url, digests)
    deadline = time.time() + 30
    while time.time() < deadline and not list(tmp_path.glob(f".{IMAGES}.gz.*.part")):
        time.sleep(0.02)
    time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    parts = list(tmp_path.glob(f".{IMAGES}.gz.*.part"))
    assert len(parts) == 1 and f".{process.pid}." in parts[0].name

    with pytest.raises(DataNotFoundError, match="none of the four files"):
        load_fashion_mnist("train", tmp_path, download=False)  # the .part is never taken for the file

    server.stall.clear()
    rerun = python(DOWNLOAD, tmp_path, server.url, digests)
    out, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0 and "downloaded" in out, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ALL_GZ  # the .part was swept
    train = load_fashion_mnist("train", tmp_path, download=False)
    assert train.images.shape == (40, 784)


# ----- hostile data directories -----

def _hostile(root, kind: str):
    """A data_dir of one hostile kind under `root`."""
    import os

    if kind == "loop":
        (root / "loop").symlink_to("loop")
        return root / "loop"
    if kind == "loop-above":
        (root / "loop").symlink_to("loop")
        return root / "loop" / "data"
    if kind == "dangling":
        (root / "dangling").symlink_to("nowhere")
        return root / "dangling"
    if kind == "fifo":
        os.mkfifo(root / "fifo")
        return root / "fifo"
    if kind == "nul":
        return root / "a\0b"
    return root / "x\ny"  # a newline, which would split the one line in two


@pytest.mark.parametrize("download", [True, False])
@pytest.mark.parametrize("kind, words", [
    ("loop", "loop: a symbolic link loop"),
    ("loop-above", "data: a symbolic link loop"),
    ("dangling", "dangling: a broken symbolic link (to nowhere)"),
    ("fifo", "fifo: not a directory (a pipe, socket or device)"),
    ("nul", "a\\x00b': not a valid path (it contains a NUL character)"),
    ("newline", "x\\ny': no such directory"),
])
def test_a_hostile_data_dir_is_one_line_naming_it(tmp_path, kind, words, download):
    directory = _hostile(tmp_path, kind)
    with pytest.raises(DataNotFoundError) as raised:
        locate(directory, download=download)
    message = str(raised.value)
    assert "\n" not in message and words in message


def test_a_data_dir_that_may_not_be_read_is_one_line_and_never_downloaded_into(tmp_path, monkeypatch):
    import os

    directory = write_fake(tmp_path / "data")
    directory.chmod(0)  # enough where the tests do not run as root; as root, the error is injected
    scandir = os.scandir

    def refuse(path="."):
        if os.fspath(path) == os.fspath(directory):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refuse)
    try:
        with pytest.raises(DataNotFoundError, match=r"data: cannot read it \(Permission denied\): check its "
                                                    r"permissions; an explicit data directory"):
            locate(directory, download=True)
    finally:
        directory.chmod(0o755)
