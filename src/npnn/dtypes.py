"""Dtype rules for turning Python and NumPy data into arrays (PyTorch's, see each function)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from npnn import backend


def to_array(data: Any, dtype: Any = None) -> Any:
    """Convert data to an array with torch.tensor's dtype rules.

    Arrays keep their dtype (float64 stays float64); Python floats and float lists
    become the default dtype (float32); Python ints become int64; bools stay bool.
    """
    data = getattr(data, "data", data) if hasattr(data, "grad_fn") else data
    xp = backend.get_array_module(data)
    if dtype is not None:
        return xp.asarray(data, dtype=np.dtype(dtype))
    if isinstance(data, (np.ndarray, np.generic)) or xp is not np:
        return xp.asarray(data)
    array = np.asarray(data)
    if array.dtype.kind == "f":
        return array.astype(backend.get_default_dtype(), copy=False)
    if array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    if array.dtype.kind == "b":
        return array
    raise TypeError(f"cannot make a tensor from {type(data).__name__} with dtype {array.dtype}")


def scalar_dtype(value: bool | int | float, like: Sequence[Any]) -> np.dtype:
    """A Python scalar never upcasts a tensor (as in PyTorch): float32 * 0.5 stays float32."""
    dtypes = [t.dtype for t in like if hasattr(t, "grad_fn")]
    floats = [d for d in dtypes if d.kind == "f"]
    if floats:
        return floats[0]
    if isinstance(value, float):
        return backend.get_default_dtype()
    if dtypes and not isinstance(value, bool):
        return dtypes[0] if dtypes[0].kind in "iu" else np.dtype(np.int64)
    return np.dtype(np.bool_) if isinstance(value, bool) else np.dtype(np.int64)
