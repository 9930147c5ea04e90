"""Fetch a file over HTTP(S) and verify it before it lands, so a failed download leaves nothing behind."""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from npnn.data.idx import decompress
from npnn.serialization import publish, temp_file

CHUNK_SIZE = 1 << 20


class DownloadError(OSError):
    """Every URL for a file failed: offline, an HTTP error, or a transfer cut off."""


class ChecksumError(ValueError):
    """A file's decompressed bytes do not have the published SHA-256."""


def sha256_hex(payload: bytes) -> str:
    """Hex SHA-256 of `payload`."""
    return hashlib.sha256(payload).hexdigest()


def check_sha256(actual: str, expected: str, source: str, fix: str) -> None:
    """Raise ChecksumError naming `source`, both hex digests and `fix` unless they are equal."""
    if actual != expected:
        raise ChecksumError(
            f"{source}: SHA-256 of the decompressed data is {actual}, expected {expected}: "
            f"the file is corrupt or not the canonical one; {fix}"
        )


def download(urls: Sequence[str], dest: Path, sha256: str, timeout: float = 30.0) -> bytes:
    """Fetch the first of `urls` whose decompressed bytes hash to `sha256` and rename it onto `dest`.

    The transfer goes to a temporary file in `dest`'s directory and is renamed (atomic on
    one file system) only after the length and digest check out. Returns the decompressed
    bytes so the caller can parse them without reading the file again.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    mismatch: ChecksumError | None = None
    for url in urls:
        try:
            return _fetch(url, dest, sha256, timeout)
        except ChecksumError as exc:
            mismatch = mismatch or exc
            failures.append(str(exc))
        except (OSError, http.client.HTTPException, ValueError) as exc:
            failures.append(f"{url}: {exc}")
    if mismatch is not None:
        raise ChecksumError("\n".join(failures)) from mismatch
    raise DownloadError(f"could not download {dest.name}:\n  " + "\n  ".join(failures))


def _fetch(url: str, dest: Path, sha256: str, timeout: float) -> bytes:
    fd, tmp_name = temp_file(dest, suffix=".part")  # also sweeps .part files of killed downloads
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            raw = _stream(url, out, timeout)
            out.flush()
            os.fsync(out.fileno())
        payload = decompress(raw, url)
        fix = "nothing was saved; try again later or get the files another way"
        check_sha256(sha256_hex(payload), sha256, url, fix)
        publish(tmp, dest)  # mkstemp makes files private; a shared data dir needs them readable
        return payload
    finally:
        tmp.unlink(missing_ok=True)


def _stream(url: str, out: BinaryIO, timeout: float) -> bytes:
    chunks: list[bytes] = []
    with urllib.request.urlopen(url, timeout=timeout) as response:
        declared = response.headers.get("Content-Length")
        while chunk := response.read(CHUNK_SIZE):
            out.write(chunk)
            chunks.append(chunk)
    raw = b"".join(chunks)
    # http.client returns short reads silently when the server hangs up, so check the length ourselves.
    if declared is not None and len(raw) != int(declared):
        raise DownloadError(f"transfer cut off after {len(raw)} of {declared} bytes")
    return raw
