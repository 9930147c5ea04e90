"""`npnn.save` / `npnn.load`: PyTorch's names and keywords over npnn's pickle-free files.

Differs from torch.save/torch.load: the file is safetensors + JSON (see serialization.py), so
it holds state_dicts (dicts of tensors, numbers, strings, lists), never whole objects. A whole
Module is refused (torch.save(model) pickles its class): save `model.state_dict()` and load it
into a new model with `model.load_state_dict(npnn.load(path))`, as PyTorch recommends.

`load` also reads PyTorch's own `torch.save` files (the zip format, PyTorch >= 1.6) without
torch and without running anything from them (see pytorch_checkpoint.py): tensors come back as
NumPy arrays, so `model.load_state_dict(npnn.load("model.pth"))` takes PyTorch's weights.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from npnn import backend
from npnn.pytorch_checkpoint import load_pytorch, pytorch_format
from npnn.serialization import CheckpointError, load_file, save_file


def save(obj: Any, f: str | os.PathLike[str], metadata: Any = None) -> None:
    """Save a state_dict (or any dict of tensors/arrays and plain values) to a safetensors file."""
    if not isinstance(obj, Mapping):
        hint = (" it cannot save a whole model: save model.state_dict() and "
                "load it with model.load_state_dict(npnn.load(path))"
                if callable(getattr(obj, "state_dict", None)) else
                " it saves a dict (such as a state_dict) only")
        raise TypeError(f"npnn.save() takes a dict, got a {type(obj).__name__}: unlike torch.save, "
                        f"npnn never pickles, so{hint}")
    save_file(f, dict(obj), metadata)


def load(f: str | os.PathLike[str], map_location: Any = None, *, weights_only: bool = True,
         **pickle_load_args: Any) -> Any:
    """Load what `save` wrote (a state_dict of NumPy arrays), ready for `load_state_dict`.

    As torch.load(weights_only=True): nothing is unpickled, so loading a file from anyone cannot
    run code; `weights_only=False` changes nothing (there is no pickle to allow). `map_location`
    may be a device ("cpu", "cuda", an `npnn.device`): "cuda" gives CuPy arrays.

    A file from `torch.save` (zip format) gives what torch.load(weights_only=True) gives, with
    NumPy arrays for tensors (bfloat16 as float32; tensors that shared storage are copies; a
    dtype NumPy lacks, such as float8, refused by name), a dtype's name ("float32") for a
    torch.dtype and a device's string ("cpu", "cuda:1") for a torch.device; a
    pickle that asks for anything else (a function, a class) is refused by name, even with
    `weights_only=False`. PyTorch's legacy format before 1.6 (a raw pickle) is refused.
    """
    if pickle_load_args:
        raise TypeError(f"npnn.load() takes no pickle options ({', '.join(pickle_load_args)}): "
                        "npnn files hold no pickle")
    if map_location is not None and not backend.is_device(map_location):
        raise TypeError(f"npnn.load(map_location=...) takes a device such as 'cpu' or 'cuda', got "
                        f"{map_location!r}: a dict or function of storages is PyTorch-only")
    if pytorch_format(f) is not None:
        value = load_pytorch(f)
        return _to_device(value, map_location) if _is_cuda(map_location) else value
    value, _ = load_file(f)
    if not isinstance(value, dict):
        raise CheckpointError(f"{f}: holds no state_dict (a dict of arrays) but a "
                              f"{type(value).__name__}")
    return _to_device(value, map_location) if _is_cuda(map_location) else value


def _is_cuda(map_location: Any) -> bool:
    return map_location is not None and backend.device_name(map_location) == "cuda"


def _to_device(value: Any, device: Any) -> Any:
    """Arrays inside nested dicts/lists moved to `device`."""
    if isinstance(value, dict):
        return {key: _to_device(item, device) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_device(item, device) for item in value)
    return backend.to_device(value, device) if hasattr(value, "__array_interface__") else value
