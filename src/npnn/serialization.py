"""Saving and loading without pickle: arrays in safetensors, everything else as JSON metadata.

Every write is atomic (temp file in the same directory + rename), so a crash or Ctrl-C
never leaves a half-written file. Checkpoints carry a SHA-256 of their arrays and metadata,
so a file damaged after it was written is refused with its name. safetensors is imported
only when a file is read or written, so `import npnn` needs NumPy alone.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from npnn import backend

METADATA_KEY = "npnn"
DIGEST_KEY = "npnn_sha256"  # over the metadata and every array; absent in older files


class CheckpointError(ValueError):
    """A file that is not a readable npnn/safetensors checkpoint."""


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


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        publish(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


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


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file, naming the file in the error if it is not valid JSON."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CheckpointError(f"{path}: not valid JSON ({error}); the file is damaged") from None


def flatten(value: Any, prefix: str = "") -> tuple[Any, dict[str, np.ndarray]]:
    """Split nested dicts/lists into a JSON skeleton and a flat {dotted key: array} dict."""
    arrays: dict[str, np.ndarray] = {}

    def walk(item: Any, key: str) -> Any:
        if hasattr(item, "grad_fn"):  # a Tensor
            item = item.data
        if isinstance(item, np.ndarray) or backend.get_array_module(item) is not np:
            arrays[key] = np.ascontiguousarray(backend.to_numpy(item))
            return {"__array__": key}
        if isinstance(item, Mapping):
            entries = [[k, walk(v, f"{key}.{k}" if key else str(k))] for k, v in item.items()]
            if all(isinstance(k, str) for k in item):
                return dict(entries)
            return {"__items__": entries}  # keeps integer keys (optimizer state by index)
        if isinstance(item, (list, tuple)):
            return [walk(v, f"{key}.{i}" if key else str(i)) for i, v in enumerate(item)]
        if isinstance(item, np.generic):
            return item.item()
        return item

    return walk(value, prefix), arrays


def unflatten(skeleton: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    """Inverse of `flatten`."""
    if isinstance(skeleton, dict):
        if set(skeleton) == {"__array__"}:
            return arrays[skeleton["__array__"]]
        if set(skeleton) == {"__items__"}:
            return {key: unflatten(v, arrays) for key, v in skeleton["__items__"]}
        return {key: unflatten(v, arrays) for key, v in skeleton.items()}
    if isinstance(skeleton, list):
        return [unflatten(v, arrays) for v in skeleton]
    return skeleton


def save_file(path: str | os.PathLike[str], value: Any, metadata: Any = None) -> None:
    """Save nested dicts/lists of arrays and plain values to one safetensors file, atomically."""
    from safetensors.numpy import save

    skeleton, arrays = flatten(value)
    text = json.dumps({"skeleton": skeleton, "metadata": metadata})
    header = {METADATA_KEY: text, DIGEST_KEY: _digest(text, arrays)}
    atomic_write_bytes(path, save(arrays, metadata=header))


def _digest(text: str, arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 of the metadata text and of every array's name, dtype, shape and bytes."""
    digest = hashlib.sha256(text.encode("utf-8"))
    for key in sorted(arrays):
        array = np.ascontiguousarray(arrays[key])
        digest.update(f"\0{key}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def load_file(path: str | os.PathLike[str]) -> tuple[Any, Any]:
    """Load what `save_file` wrote: (value, metadata)."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint file")
    try:
        with safe_open(str(path), framework="np") as handle:
            header = handle.metadata() or {}
            arrays = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    except (SafetensorError, OSError) as error:
        raise CheckpointError(f"{path}: not a readable safetensors file ({error})") from None
    if METADATA_KEY not in header:
        return arrays, {key: value for key, value in header.items()}
    if DIGEST_KEY in header and header[DIGEST_KEY] != _digest(header[METADATA_KEY], arrays):
        raise CheckpointError(f"{path}: damaged: checksum mismatch; the file changed after it was "
                              "written: restore a copy or train again")
    try:
        stored = json.loads(header[METADATA_KEY])
    except json.JSONDecodeError:
        raise CheckpointError(f"{path}: damaged npnn metadata in the safetensors header") from None
    return unflatten(stored["skeleton"], arrays), stored["metadata"]


def save(obj: Any, path: str | os.PathLike[str], metadata: Any = None) -> None:
    """Save a Module's state_dict (or any dict of arrays) to a safetensors file.

    Differs from torch.save: no pickle, so only arrays, numbers, strings, lists and dicts.
    """
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        obj = obj.state_dict()
    save_file(path, dict(obj), metadata)


def load(path: str | os.PathLike[str]) -> Any:
    """Load what `save` wrote (a state_dict of NumPy arrays), ready for `load_state_dict`."""
    value, _ = load_file(path)
    return value
