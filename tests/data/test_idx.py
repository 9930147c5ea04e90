"""The IDX reader accepts exactly well-formed files (raw or gzip) and names the file in every error."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from npnn.data import IdxError, parse_idx, read_idx, write_idx
from npnn.data.idx import encode_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_round_trip(tmp_path: Path, dtype: type, compress: bool) -> None:
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((3, 4, 5)) * 100).astype(dtype)
    path = tmp_path / "array.idx"
    write_idx(path, array, compress=compress)
    assert path.read_bytes().startswith(b"\x1f\x8b") == compress
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    back[0, 0, 0] = 1  # writable


def test_header_is_big_endian() -> None:
    data = encode_idx(np.array([[1, 2, 3]], dtype=np.int16))
    assert data == bytes([0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 3, 0, 1, 0, 2, 0, 3])


def test_gzip_is_detected_by_magic_bytes_not_name(tmp_path: Path) -> None:
    array = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "labels.gz", array)  # raw bytes despite the .gz name
    write_idx(tmp_path / "labels", array, compress=True)  # gzip without the name
    np.testing.assert_array_equal(read_idx(tmp_path / "labels.gz"), array)
    np.testing.assert_array_equal(read_idx(tmp_path / "labels"), array)


def test_empty_dimension_round_trips(tmp_path: Path) -> None:
    write_idx(tmp_path / "empty", np.zeros((0, 28, 28), np.uint8))
    assert read_idx(tmp_path / "empty").shape == (0, 28, 28)


IMAGES = encode_idx(np.zeros((6, 28, 28), np.uint8))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (IMAGES[:-1000], "truncated: header says 6x28x28 = 4704 bytes of data, found 3704; delete the file"),
        (IMAGES + b"\0", "trailing bytes: header says 6x28x28 = 4704 bytes of data, found 4705"),
        (encode_idx(np.zeros(3, np.int32))[:-1], "truncated: header says 3 int32 values = 12 bytes"),
        (b"PK" + IMAGES[2:], "not an IDX file: it starts with 0x50 0x4B, expected 0x00 0x00"),
        (b"\0\0\x0a" + IMAGES[3:], "unknown IDX dtype code 0x0A (valid: 0x08 uint8, 0x09 int8"),
        (b"\0\0\x08\0", "header declares 0 dimensions"),
        (IMAGES[:10], "truncated: the header declares 3 dimensions (16 header bytes) but the file has 10"),
        (b"\0\0", "truncated: 2 bytes, shorter than the 4-byte IDX header"),
    ],
    ids=["truncated", "trailing", "truncated-int32", "magic", "dtype-code", "ndim-0", "short-header", "tiny"],
)
def test_malformed_files_are_rejected_naming_the_file(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(data)
    with pytest.raises(IdxError, match="train-images-idx3-ubyte: ") as raised:
        read_idx(path)
    assert expected in str(raised.value)
    with pytest.raises(IdxError, match=r"^memory: "):
        parse_idx(data, "memory")


def test_truncated_gzip_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(IMAGES)[:-20])
    with pytest.raises(IdxError, match=r"x\.gz: corrupt gzip data .*download it again"):
        read_idx(path)


def test_idx_error_is_a_value_error() -> None:
    assert issubclass(IdxError, ValueError)


def test_write_rejects_types_idx_cannot_store(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="IDX cannot store dtype int64"):
        write_idx(tmp_path / "x", np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="1 to 255 dimensions"):
        write_idx(tmp_path / "x", np.zeros((), np.uint8))
