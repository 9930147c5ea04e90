"""Reading PyTorch's `torch.save` files (the zip format, PyTorch >= 1.6) without torch and safely.

The zip holds `<name>/data.pkl` (the pickled structure; tensors in it are persistent ids that
name a storage) and `<name>/data/<key>` (each storage's raw bytes, stored uncompressed), plus a
`byteorder` record. The pickle is read by `pytorch_pickle`, which runs nothing from the file;
tensors become NumPy arrays copied out of their storage (shape, stride, offset and byte order
honoured), so tensors that shared a storage in PyTorch no longer share memory. bfloat16 (which
NumPy lacks) becomes float32, exactly; the dtypes NumPy lacks otherwise (float8, complex32) are
refused by name. Anything damaged or hostile raises CheckpointError naming
the file: the zip is never extracted to disk, records must be stored uncompressed as torch.save
writes them and may not overlap (so no zip bomb), and the records read, the arrays and the
pickle's objects together may not take more than MAX_GROWTH times the file's size (plus
SLACK_BYTES) in memory (a tensor that repeats one element with stride 0 could ask for terabytes).
"""

from __future__ import annotations

import math
import os
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from npnn.pytorch_pickle import unpickle
from npnn.pytorch_pickle_names import RefusedError, Storage, StorageType, UnsupportedError, describe
from npnn.serialization import CheckpointError, is_special_file

ZIP_MAGIC = b"PK\x03\x04"
LEGACY_MAGIC = b"\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"  # torch's pickled magic number
MAX_GROWTH = 4  # the arrays may hold this many times the file's bytes, plus SLACK_BYTES
SLACK_BYTES = 64 << 20
WEIGHTS_ONLY = ("npnn reads only tensors, dicts, lists, numbers and strings from PyTorch files, as "
                "torch.load(weights_only=True))")
_KEY = re.compile(r"[A-Za-z0-9_]+")
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError,
               NotImplementedError, zlib.error, ValueError, OverflowError, KeyError)


def pytorch_format(path: str | os.PathLike[str]) -> str | None:
    """"zip" for a torch.save file, "pickle" for a raw pickle (torch's legacy format before 1.6,
    or pickle.dump), None for anything else (an npnn safetensors file)."""
    if is_special_file(path):
        return None  # a folder or a pipe: the caller's own check names it (reading a pipe blocks)
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
            size = os.fstat(handle.fileno()).st_size
    except OSError:
        return None  # the caller's own reading names the problem
    if head.startswith(ZIP_MAGIC):
        return "zip"
    # a pickle starts with PROTO 2-5; read as safetensors, its header length would pass the file's end
    if len(head) > 8 and head[0] == 0x80 and 2 <= head[1] <= 5 and (
            LEGACY_MAGIC in head or int.from_bytes(head[:8], "little") > size - 8):
        return "pickle"
    return None


def load_pytorch(path: str | os.PathLike[str]) -> Any:
    """The value torch.save wrote to `path`, with NumPy arrays for tensors; see the module doc."""
    if pytorch_format(path) == "pickle":
        raise CheckpointError(f"{path}: a raw pickle (PyTorch's format before 1.6, or pickle.dump), "
                              "which npnn never unpickles: re-save it with a current torch.save "
                              "(torch.save(torch.load(path, weights_only=True), new_path))")
    try:
        with zipfile.ZipFile(path) as archive:
            return _Reader(path, archive).load()
    except RefusedError as error:
        raise CheckpointError(f"{path}: refused to load: its pickle {error} ({WEIGHTS_ONLY}") from None
    except UnsupportedError as error:
        raise CheckpointError(f"{path}: {error}") from None
    except CheckpointError:
        raise
    except _ZIP_ERRORS as error:
        why = error if isinstance(error, ValueError) else f"{type(error).__name__}: {error}"
        raise CheckpointError(f"{path}: not a readable torch.save file ({why}); the file is "
                              "damaged") from None


class _Reader:
    def __init__(self, path: str | os.PathLike[str], archive: zipfile.ZipFile):
        self.path, self.archive = path, archive
        names = archive.namelist()
        if len(set(names)) != len(names):
            raise ValueError("a record appears twice in the zip")
        if not names or "/" not in names[0]:
            raise ValueError("no records in a folder, as torch.save writes them")
        self.prefix = names[0].split("/", 1)[0]
        self.names = set(names)
        self.storages: dict[str, bytes] = {}
        size = Path(path).stat().st_size
        _refuse_overlaps(path, archive.infolist(), size)
        self.budget = MAX_GROWTH * size + SLACK_BYTES
        self.byteorder = "<"

    def charge(self, nbytes: int, what: str) -> None:
        """Count `nbytes` more of memory against the budget; CheckpointError past it."""
        self.budget -= nbytes
        if self.budget < 0:
            raise CheckpointError(f"{self.path}: {what} would take more than {MAX_GROWTH} times the "
                                  "file's size in memory; refused")

    def record(self, name: str) -> bytes:
        full = f"{self.prefix}/{name}"
        if full not in self.names:
            raise CheckpointError(f"{self.path}: damaged torch.save file: the record {full} is missing")
        info = self.archive.getinfo(full)
        if info.compress_type != zipfile.ZIP_STORED:
            raise CheckpointError(f"{self.path}: the record {full} is compressed, which torch.save never "
                                  "does: re-save the file with torch.save")
        with self.archive.open(info) as handle:
            return handle.read()

    def load(self) -> Any:
        if f"{self.prefix}/data.pkl" not in self.names:
            hint = (" (it is TorchScript: torch.jit.save, which npnn does not read)"
                    if f"{self.prefix}/constants.pkl" in self.names else "")
            raise CheckpointError(f"{self.path}: a zip file but not a torch.save file: it has no "
                                  f"{self.prefix}/data.pkl{hint}")
        if f"{self.prefix}/byteorder" in self.names:
            order = self.record("byteorder")
            if order not in (b"little", b"big"):
                raise CheckpointError(f"{self.path}: damaged torch.save file: byteorder {order[:20]!r}")
            self.byteorder = "<" if order == b"little" else ">"
        return unpickle(self.record("data.pkl"), self.persistent_load, self.rebuild_tensor,
                        lambda nbytes: self.charge(nbytes, "its pickle's objects"))

    def persistent_load(self, pid: Any) -> Storage:
        """('storage', storage type, key, location, numel) -> the storage's bytes, read once per key."""
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] in ("storage", b"storage")):
            what = repr(pid[0])[:40] if isinstance(pid, tuple) and pid else describe(pid)
            raise RefusedError(f"asks for a persistent object other than a storage ({what})")
        _, kind, key, _location, numel = pid
        if not isinstance(kind, StorageType):
            raise ValueError(f"a storage of type {type(kind).__name__}")
        if not (isinstance(key, str) and _KEY.fullmatch(key) and type(numel) is int and numel >= 0):
            raise ValueError(f"a storage with key {key!r} and size {numel!r}")
        if key not in self.storages:
            self.storages[key] = self.record(f"data/{key}")
            self.charge(len(self.storages[key]), "its storages")
        data = self.storages[key]
        itemsize = 2 if kind.dtype == "bfloat16" else np.dtype(kind.dtype).itemsize
        if len(data) != numel * itemsize:
            raise CheckpointError(f"{self.path}: damaged torch.save file: storage {key} holds {len(data)} "
                                  f"bytes, not {numel} {kind.name} elements")
        return Storage(data, kind.dtype, numel)

    def rebuild_tensor(self, storage: Any, offset: Any, size: Any, stride: Any) -> np.ndarray:
        """The tensor viewing `storage` from `offset` with `size` and `stride` (in elements), copied."""
        if not isinstance(storage, Storage):
            raise ValueError(f"a tensor of a {type(storage).__name__}, not of a storage")
        if not (_counts(size) and _counts(stride) and len(size) == len(stride) and len(size) <= 32
                and type(offset) is int and offset >= 0):
            raise ValueError(f"a tensor with offset {offset!r}, size {size!r}, stride {stride!r}")
        numel = math.prod(size)
        out_dtype = np.dtype({"bfloat16": "f4", "b1": "?"}.get(storage.dtype, storage.dtype))
        if numel == 0:
            return np.zeros(size, out_dtype)
        if offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True)) >= storage.numel:
            raise CheckpointError(f"{self.path}: damaged torch.save file: a tensor of size {size} reaches "
                                  f"past the end of its storage of {storage.numel} elements")
        self.charge(numel * out_dtype.itemsize, "its tensors (views that repeat elements, as expand() makes)")
        raw = {"bfloat16": "u2", "b1": "u1"}.get(storage.dtype, storage.dtype)
        base = np.frombuffer(storage.data, np.dtype(raw).newbyteorder(self.byteorder))
        itemsize = base.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(base[offset:], shape=size,
                                               strides=tuple(s * itemsize for s in stride), writeable=False)
        array = np.array(view, dtype=base.dtype.newbyteorder("="))  # a copy, in native byte order
        if storage.dtype == "bfloat16":  # bfloat16 = float32's high half
            return np.asarray(array.astype(np.uint32) << 16).view(np.float32)  # (a 0-d one too)
        return np.asarray(array != 0) if storage.dtype == "b1" else array  # != gives 0-d a NumPy bool


def _refuse_overlaps(path: str | os.PathLike[str], infos: list[zipfile.ZipInfo], size: int) -> None:
    """CheckpointError for records whose bytes overlap: a zip whose thousand records all read the
    same megabyte would be a gigabyte read (Python before 3.12 does not check). Each record takes
    at least its local header (30 bytes and its name) and its stored bytes."""
    end = 0
    for info in sorted(infos, key=lambda info: info.header_offset):
        if info.header_offset < end or info.header_offset + info.compress_size > size:
            raise CheckpointError(f"{path}: damaged or hostile zip: the record {info.filename[:80]} "
                                  "overlaps another or passes the file's end; refused")
        end = info.header_offset + 30 + len(info.orig_filename) + info.compress_size


def _counts(values: Any) -> bool:
    """A tuple of non-negative ints (no bools), each small enough for NumPy."""
    return isinstance(values, tuple) and all(type(v) is int and 0 <= v < 2**62 for v in values)
