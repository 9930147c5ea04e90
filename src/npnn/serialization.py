"""Saving and loading without pickle: arrays in safetensors, everything else as JSON metadata.

Every write is atomic (temp file in the same directory + rename), so a crash or Ctrl-C
never leaves a half-written file; temp files that a killed process left behind are swept by
the next write of the same file. Checkpoints carry a SHA-256 of their arrays and metadata,
so a file damaged after it was written is refused with its name, and the loader checks every
field it reads, so a damaged or hostile file raises CheckpointError and nothing else. Nothing
is ever unpickled. safetensors is imported only when a file is read or written, so
`import npnn` needs NumPy alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import stat
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor

METADATA_KEY = "npnn"
DIGEST_KEY = "npnn_sha256"  # over the metadata and every array; absent in older files
MAX_DEPTH = 64  # nesting of the metadata skeleton; a state_dict needs about 5
JSON_MAX_DEPTH = 100  # nesting of any JSON npnn reads; what it writes stays under about 10
HEADER_MAX_BYTES = 100_000_000  # safetensors' own limit on the header
TENSOR_FIELDS = {"dtype", "shape", "data_offsets"}  # all a safetensors header entry may hold
# the safetensors dtypes NumPy holds itself; BF16 and F8_* load only where ml_dtypes (which onnx
# installs) extends NumPy, and NumPy's own ops do not all take them, so npnn refuses them everywhere
NUMPY_DTYPES = {"BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16", "F32", "F64"}
_STARTED = time.time()  # temp files older than this process and its own can be swept


class CheckpointError(ValueError):
    """A file that is not a readable npnn/safetensors checkpoint."""


class JSONFormatError(ValueError):
    """Text that is not JSON npnn accepts: invalid, a key twice in one object, or nested too deeply."""


def new_file_mode() -> int:
    """The mode `open()` gives a new file: 0o666 less the umask (mkstemp's files are 0o600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def publish(temp: str | os.PathLike[str], path: str | os.PathLike[str]) -> None:
    """Give a finished temporary file the usual permissions and rename it onto `path`.

    The directory is then synced (best effort) so that the rename itself survives a crash.
    """
    os.chmod(temp, new_file_mode())
    os.replace(temp, path)
    try:
        descriptor = os.open(Path(path).parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a directory
    finally:
        os.close(descriptor)


def temp_file(path: Path, suffix: str = ".tmp") -> tuple[int, str]:
    """A new private temp file beside `path`, named `.NAME.PID.RANDOM{suffix}`: (descriptor, name).

    First sweeps the temp files of `path` that a dead process left behind (see `sweep_temp_files`).
    """
    sweep_temp_files(path, suffix)
    return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=suffix)


def sweep_temp_files(path: Path, suffix: str = ".tmp") -> list[Path]:
    """Delete the temp files of `path` left by a killed writer; return them.

    A temp file is stale when it is older than this process and the process that wrote it
    (the PID in its name) is no longer running on this machine; a live writer's file is kept.
    """
    # mkstemp's random part: 8 of [a-z0-9_]; older npnn versions wrote no PID
    pattern = re.compile(re.escape(f".{path.name}.") + r"(?:(\d+)\.)?[a-z0-9_]{8}" + re.escape(suffix))
    swept = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return swept
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue  # not a temp file of `path`
        pid = int(match[1]) if match[1] else None
        try:
            if entry.stat(follow_symlinks=False).st_mtime >= _STARTED or process_running(pid):
                continue
            os.unlink(entry.path)
        except OSError:
            continue  # gone already, or not ours to delete
        swept.append(Path(entry.path))
    return swept


def process_running(pid: int | None) -> bool:
    if pid is None:
        return False  # written before temp names carried a PID
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a part."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temp = temp_file(path)
    except OSError as error:
        raise naming_file(error, path) from error
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        publish(temp, path)
    except BaseException as error:
        with contextlib.suppress(OSError):  # an EIO or EROFS here must not hide `error`
            Path(temp).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise naming_file(error, path) from error
        raise


def naming_file(error: OSError, path: str | os.PathLike[str]) -> OSError:
    """`error` naming the file being written, not its temp file or nothing (a full disk's
    write or fsync names no file), so that the message says which file could not be written."""
    named = error.filename is not None and not Path(error.filename).name.startswith(f".{Path(path).name}.")
    if error.errno is None or named:
        return error
    # OSError() picks the subclass for the errno itself (PermissionError...); type(error) might
    # be a subclass whose __init__ takes other arguments
    return OSError(error.errno, error.strerror, str(path))


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], value: Any) -> None:
    """Strict JSON: non-finite floats (NaN, ±inf) are written as null, never as `NaN`/`Infinity`."""
    atomic_write_text(path, json.dumps(finite_or_none(value), indent=2, allow_nan=False) + "\n")


def finite_or_none(value: Any) -> Any:
    """A copy of nested dicts/lists/tuples with every non-finite float replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: finite_or_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(item) for item in value]
    return value


def is_special_file(path: str | os.PathLike[str]) -> bool:
    """Whether `path` exists as something other than a regular file: a folder, or a pipe or device
    that reading would block on."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def is_number(value: Any) -> bool:
    """An int or float, and not a bool (which Python counts as an int)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_regular_file(path: str | os.PathLike[str], what: str = "file") -> None:
    """Raise FileNotFoundError if `path` is missing, CheckpointError if it is a directory, a FIFO
    or a device: reading those would fail late, or block for ever."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such {what}") from None
    if stat.S_ISDIR(mode):
        raise CheckpointError(f"{path} is a directory, not a {what}")
    if not stat.S_ISREG(mode):
        raise CheckpointError(f"{path} is not a regular file (a pipe or device?); give a {what}")


def parse_json(text: str | bytes) -> Any:
    """Every JSON npnn reads goes through here: JSONFormatError (a ValueError) for invalid JSON, for
    a key given twice in one object (Python would keep the last, other readers the first) and for
    nesting deeper than JSON_MAX_DEPTH (Python's parser would raise RecursionError, and code that
    walks the value could too)."""
    try:
        value = json.loads(text.decode("utf-8") if isinstance(text, bytes) else text,
                           object_pairs_hook=_unique_keys)
    except RecursionError:
        raise JSONFormatError(f"nested more than {JSON_MAX_DEPTH} levels deep") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise JSONFormatError(str(error)) from None
    if _nesting(value) > JSON_MAX_DEPTH:
        raise JSONFormatError(f"nested more than {JSON_MAX_DEPTH} levels deep")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for key, item in pairs:
        if key in value:
            raise JSONFormatError(f"the key {key!r} appears twice in one object")
        value[key] = item
    return value


def _nesting(value: Any) -> int:
    """How deeply lists and objects nest in `value` (without recursion), counted up to one past
    JSON_MAX_DEPTH."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > JSON_MAX_DEPTH:
                break
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file, naming the file in the error if it is not valid JSON."""
    check_regular_file(path, "JSON file")
    try:
        return parse_json(Path(path).read_bytes())
    except JSONFormatError as error:
        raise CheckpointError(f"{path}: not valid JSON ({error}); the file is damaged") from None


def flatten(value: Any, prefix: str = "") -> tuple[Any, dict[str, np.ndarray]]:
    """Split nested dicts/lists into a JSON skeleton and a flat {dotted key: array} dict."""
    arrays: dict[str, np.ndarray] = {}
    return _flatten_into(arrays, value, prefix), arrays


def _flatten_into(arrays: dict[str, np.ndarray], item: Any, key: str) -> Any:
    """`flatten`'s recursion, at module level: a nested function that calls itself is a reference
    cycle, which kept every array of a checkpoint alive until the garbage collector ran."""
    if isinstance(item, Tensor):
        item = item.array
    if isinstance(item, np.ndarray) or backend.get_array_module(item) is not np:
        arrays[key] = np.asarray(backend.to_numpy(item), order="C")  # keeps 0-d as 0-d
        return {"__array__": key}
    if isinstance(item, Mapping):
        entries = [[k, _flatten_into(arrays, v, f"{key}.{k}" if key else str(k))] for k, v in item.items()]
        if all(isinstance(k, str) for k in item):
            return dict(entries)
        return {"__items__": entries}  # keeps integer keys (optimizer state by index)
    if isinstance(item, (list, tuple)):
        return [_flatten_into(arrays, v, f"{key}.{i}" if key else str(i)) for i, v in enumerate(item)]
    if isinstance(item, np.generic):
        return item.item()
    return item


def unflatten(skeleton: Any, arrays: Mapping[str, np.ndarray], depth: int = 0) -> Any:
    """Inverse of `flatten`; ValueError for a skeleton `flatten` cannot have written."""
    if depth > MAX_DEPTH:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(skeleton, dict):
        if set(skeleton) == {"__array__"}:
            key = skeleton["__array__"]
            if not isinstance(key, str) or key not in arrays:
                raise ValueError(f"it refers to an array {key!r} that is not in the file")
            return arrays[key]
        if set(skeleton) == {"__items__"}:
            items = skeleton["__items__"]
            if not isinstance(items, list) or not all(
                    isinstance(item, list) and len(item) == 2 and isinstance(item[0], (str, int, float))
                    for item in items):
                raise ValueError("an `__items__` entry is not a list of [key, value] pairs")
            return {key: unflatten(v, arrays, depth + 1) for key, v in items}
        return {key: unflatten(v, arrays, depth + 1) for key, v in skeleton.items()}
    if isinstance(skeleton, list):
        return [unflatten(v, arrays, depth + 1) for v in skeleton]
    return skeleton


def save_file(path: str | os.PathLike[str], value: Any, metadata: Any = None) -> None:
    """Save nested dicts/lists of arrays and plain values to one safetensors file, atomically."""
    from safetensors.numpy import save  # lazy: `import npnn` (which imports this module) loads no safetensors

    skeleton, arrays = flatten(value)
    text = json.dumps({"skeleton": skeleton, "metadata": metadata})
    header = {METADATA_KEY: text, DIGEST_KEY: _digest(text, arrays)}
    atomic_write_bytes(path, save(arrays, metadata=header))


def _digest(text: str, arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 of the metadata text and of every array's name, dtype, shape and bytes."""
    digest = hashlib.sha256(text.encode("utf-8"))
    for key in sorted(arrays):
        array = np.asarray(arrays[key], order="C")
        digest.update(f"\0{key}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def load_file(path: str | os.PathLike[str]) -> tuple[Any, Any]:
    """Load what `save_file` wrote: (value, metadata)."""
    from safetensors import SafetensorError, safe_open  # lazy, as in save_file

    path = Path(path)
    check_regular_file(path, "checkpoint file")
    _check_header(path)
    try:
        with safe_open(str(path), framework="np") as handle:
            header = handle.metadata() or {}
            arrays = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    # the parser's errors, and NumPy's for dtypes it lacks (BF16, F8_*)
    except (SafetensorError, OSError, TypeError, ValueError, AttributeError, OverflowError) as error:
        raise CheckpointError(f"{path}: not a readable safetensors file ({error})") from None
    if METADATA_KEY not in header:
        return arrays, {key: value for key, value in header.items()}
    if DIGEST_KEY in header and header[DIGEST_KEY] != _digest(header[METADATA_KEY], arrays):
        raise CheckpointError(f"{path}: damaged: checksum mismatch; the file changed after it was "
                              "written: restore a copy or train again")
    try:
        stored = parse_json(header[METADATA_KEY])
        if not isinstance(stored, dict) or not {"skeleton", "metadata"} <= set(stored):
            raise ValueError("no skeleton and metadata in it")
        return unflatten(stored["skeleton"], arrays), stored["metadata"]
    except ValueError as error:  # JSONFormatError is a ValueError
        raise CheckpointError(f"{path}: damaged npnn metadata in the safetensors header "
                              f"({error})") from None


def _check_header(path: Path) -> None:
    """CheckpointError for what the safetensors library lets through in a header: a name given
    twice (its JSON parser keeps one of them) and fields a tensor entry cannot have. A header
    too short or too long for the file is left to the library, which names that damage."""
    try:
        with open(path, "rb") as handle:
            size = int.from_bytes(handle.read(8), "little")
            if not 2 <= size <= min(HEADER_MAX_BYTES, os.fstat(handle.fileno()).st_size - 8):
                return
            text = handle.read(size)
    except OSError as error:
        raise CheckpointError(f"{path}: not a readable safetensors file ({error})") from None
    try:
        header = parse_json(text)
        if not isinstance(header, dict):
            raise JSONFormatError(f"it is a JSON {type(header).__name__}, not an object")
        for name, entry in header.items():
            if name != "__metadata__" and isinstance(entry, dict) and set(entry) - TENSOR_FIELDS:
                unknown = ", ".join(sorted(set(entry) - TENSOR_FIELDS))
                raise JSONFormatError(f"tensor {name!r} has fields a tensor cannot have: {unknown}")
    except JSONFormatError as error:
        raise CheckpointError(f"{path}: not a readable safetensors file (its header: {error}); the "
                              "file is damaged") from None
    for name, entry in header.items():
        dtype = entry.get("dtype") if name != "__metadata__" and isinstance(entry, dict) else None
        if isinstance(dtype, str) and dtype not in NUMPY_DTYPES:
            raise CheckpointError(f"{path}: not a readable safetensors file for npnn (tensor {name!r} "
                                  f"has dtype {dtype}, which NumPy cannot hold: save it as float32)")
