"""Array backend: NumPy by default, CuPy when the data lives on a GPU.

CuPy is imported lazily here and nowhere else; nothing is decided at import time.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
bool_ = np.dtype(np.bool_)

_default_dtype = float32


def get_default_dtype() -> np.dtype:
    """The floating dtype given to Python numbers and new tensors (float32 unless changed)."""
    return _default_dtype


def resolve_float_dtype(dtype: Any) -> np.dtype:
    """`dtype` as a NumPy dtype, or the default dtype for None."""
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def set_default_dtype(dtype: Any) -> None:
    """Set the floating dtype for Python numbers and factory functions (as torch.set_default_dtype)."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype needs a floating dtype, got {dtype}")
    _default_dtype = dtype


def _is_cupy_array(array: Any) -> bool:
    return type(array).__module__.startswith("cupy")


def get_array_module(*arrays: Any) -> ModuleType:
    """Return cupy if any argument is a CuPy array, else numpy."""
    for array in arrays:
        if _is_cupy_array(array):
            import cupy

            return cupy
    return np


def cupy_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def is_device(value: Any) -> bool:
    """True for a device name such as 'cpu', 'cuda', 'cuda:0' (what `.to()` tells from a dtype)."""
    return isinstance(value, str) and (value in ("cpu", "gpu") or value.split(":")[0] == "cuda")


def device_name(device: Any) -> str:
    """'cpu' or 'cuda' for a device name; 'cuda:N' and 'gpu' mean the current GPU."""
    if not is_device(device):
        raise ValueError(f"unknown device {device!r}: use 'cpu' or 'cuda'")
    return "cpu" if device == "cpu" else "cuda"


def to_device(array: Any, device: str) -> Any:
    """Move an array to 'cpu' (NumPy) or 'cuda' (CuPy)."""
    if device_name(device) == "cpu":
        return array.get() if _is_cupy_array(array) else array
    import cupy

    return cupy.asarray(array)


def cupyx_special() -> ModuleType:
    """`cupyx.scipy.special` (vectorised erf and friends for CuPy arrays)."""
    import cupyx.scipy.special

    return cupyx.scipy.special


def device_of(array: Any) -> str:
    return "cuda" if _is_cupy_array(array) else "cpu"


def to_numpy(array: Any) -> np.ndarray:
    """A NumPy view/copy of an array from either backend."""
    return array.get() if _is_cupy_array(array) else np.asarray(array)


def may_share_memory(a: Any, b: Any) -> bool:
    """Whether two arrays may overlap in memory (bounds only: cheap, never a false "no")."""
    if _is_cupy_array(a) or _is_cupy_array(b):
        return _is_cupy_array(a) and _is_cupy_array(b) and get_array_module(a).may_share_memory(a, b)
    return bool(np.may_share_memory(a, b))


def is_writeable(array: Any) -> bool:
    """False for read-only NumPy arrays (a broadcast view, a memory-mapped file)."""
    flags = getattr(array, "flags", None)
    return getattr(flags, "writeable", True)
