"""IDX files (the MNIST family's format): a strict reader and a writer.

Layout: two zero bytes, a dtype code, the number of dimensions, each dimension as a
big-endian uint32, then the values big-endian in C order. The reader checks every
field and the exact length, because a truncated download otherwise parses into
plausible-looking garbage.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

GZIP_MAGIC = b"\x1f\x8b"

DTYPE_CODES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_VALID_CODES = ", ".join(f"0x{code:02X} {dtype.newbyteorder('=')}" for code, dtype in DTYPE_CODES.items())
_REFETCH = "delete the file and download it again"


class IdxError(ValueError):
    """A malformed IDX file; the message names the file, what is wrong and what to do."""


def decompress(raw: bytes, source: str) -> bytes:
    """Gunzip `raw` when it starts with the gzip magic bytes (file names can lie), else return it;
    bounded as `read_bytes` says, so a downloaded file cannot inflate without limit either."""
    if not raw.startswith(GZIP_MAGIC):
        return raw
    return _gunzip(io.BytesIO(raw), source)


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The file's IDX bytes, gunzipped if needed; callers can hash and parse them without a second read.

    A gzipped file is inflated only as far as its IDX header says it extends (plus one byte to
    see that it ends there), so a small file that inflates to gigabytes is refused, not read.
    """
    with open(path, "rb") as handle:
        if handle.read(2) != GZIP_MAGIC:
            handle.seek(0)
            return handle.read()
        handle.seek(0)
        return _gunzip(handle, str(path))


def _gunzip(compressed: BinaryIO, source: str) -> bytes:
    try:
        with gzip.GzipFile(fileobj=compressed) as stream:
            return _inflate_bounded(stream, source)
    except (OSError, EOFError, zlib.error) as exc:
        raise IdxError(f"{source}: corrupt gzip data ({exc}); {_REFETCH}") from exc


def _inflate_bounded(stream: gzip.GzipFile, source: str) -> bytes:
    """The inflated bytes, read no further than the IDX header's size + 1 (the whole stream if
    there is no valid header: parse_idx then says what is wrong)."""
    head = stream.read(4)
    if len(head) < 4 or head[:2] != b"\0\0" or head[2] not in DTYPE_CODES or head[3] == 0:
        return head + stream.read()
    dims = stream.read(4 * head[3])
    if len(dims) < 4 * head[3]:
        return head + dims
    shape = [int.from_bytes(dims[i : i + 4], "big") for i in range(0, len(dims), 4)]
    size = math.prod(shape) * DTYPE_CODES[head[2]].itemsize
    chunks, read = [], 0
    while read <= size:
        chunk = stream.read(min(size + 1 - read, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        read += len(chunk)
    if read > size:
        raise IdxError(f"{source}: trailing bytes: header says {'x'.join(map(str, shape))} = {size} "
                       f"bytes of data, found more; {_REFETCH}")
    return head + dims + b"".join(chunks)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a raw or gzipped IDX file into a writable, native-byte-order array."""
    return parse_idx(read_bytes(path), str(path))


def parse_idx(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse IDX bytes, rejecting anything but an exact, well-formed file; `source` names it in errors."""
    if len(data) < 4:
        raise IdxError(
            f"{source}: truncated: {len(data)} bytes, shorter than the 4-byte IDX header; {_REFETCH}"
        )
    if data[0] != 0 or data[1] != 0:
        raise IdxError(
            f"{source}: not an IDX file: it starts with 0x{data[0]:02X} 0x{data[1]:02X}, expected 0x00 0x00; "
            "check that the path points at an IDX file (such as train-images-idx3-ubyte or its .gz)"
        )
    code, ndim = data[2], data[3]
    dtype = DTYPE_CODES.get(code)
    if dtype is None:
        raise IdxError(
            f"{source}: unknown IDX dtype code 0x{code:02X} (valid: {_VALID_CODES}); "
            f"the file is corrupt or not IDX; {_REFETCH}"
        )
    if ndim == 0:
        raise IdxError(f"{source}: the IDX header declares 0 dimensions; the file is corrupt; {_REFETCH}")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IdxError(
            f"{source}: truncated: the header declares {ndim} dimensions ({header_size} header bytes) "
            f"but the file has {len(data)} bytes; {_REFETCH}"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    count = math.prod(shape)
    expected = count * dtype.itemsize
    found = len(data) - header_size
    if found != expected:
        problem = "truncated" if found < expected else "trailing bytes"
        dims = "x".join(map(str, shape))
        values = dims if dtype.itemsize == 1 else f"{dims} {dtype.newbyteorder('=')} values"
        raise IdxError(
            f"{source}: {problem}: header says {values} = {expected} bytes of data, found {found}; {_REFETCH}"
        )
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a copy: writable, native byte order


def _dtype_code(dtype: np.dtype) -> int:
    for code, idx_dtype in DTYPE_CODES.items():
        if dtype.kind == idx_dtype.kind and dtype.itemsize == idx_dtype.itemsize:
            return code
    raise TypeError(f"IDX cannot store dtype {dtype}; use one of: {_VALID_CODES}")


def encode_idx(array: np.ndarray) -> bytes:
    """The uncompressed IDX bytes of `array` (dtype one of the six IDX types, 1 to 255 dimensions)."""
    array = np.asarray(array)
    code = _dtype_code(array.dtype)
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX stores arrays with 1 to 255 dimensions, got {array.ndim}")
    if any(size >= 2**32 for size in array.shape):
        raise ValueError(f"IDX dimensions must be below 2**32, got shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + np.ascontiguousarray(array, dtype=DTYPE_CODES[code]).tobytes()


def write_idx(path: str | os.PathLike[str], array: np.ndarray, compress: bool = False) -> None:
    """Write `array` as an IDX file, gzipped (reproducibly: mtime 0) when `compress` is true."""
    data = encode_idx(array)
    Path(path).write_bytes(gzip.compress(data, mtime=0) if compress else data)
