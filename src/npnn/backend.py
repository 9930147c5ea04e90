"""Array backend: NumPy by default, CuPy when the data lives on a GPU.

CuPy is imported lazily here and nowhere else; nothing is decided at import time.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from npnn.device import device

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
        if type(array) is not np.ndarray and _is_cupy_array(array):  # the test runs every op
            import cupy

            return cupy
    return np


def cupy_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    return gpu_count() > 0


def gpu_count() -> int:
    """How many GPUs CuPy sees (0 when CuPy is missing or sees none)."""
    try:
        import cupy

        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:
        return 0


NO_DEVICE = ("mps", "xpu", "meta")  # PyTorch device types npnn names in its error message


def is_device(value: Any) -> bool:
    """True for a device name such as 'cpu', 'cuda', 'cuda:0' or an `npnn.device`
    (what `.to()` tells from a dtype); 'mps' too, so that it gets device_name's message."""
    return isinstance(value, str) and value.split(":")[0] in ("cpu", "gpu", "cuda", *NO_DEVICE)


def device_name(device: Any) -> str:
    """'cpu' or 'cuda' for a device name; 'cuda:N' and 'gpu' mean the current GPU."""
    if not is_device(device):
        raise ValueError(f"unknown device {device!r}: use 'cpu' or 'cuda'")
    if device.split(":")[0] in NO_DEVICE:
        raise RuntimeError(f"npnn has no {device!r} device: it runs on 'cpu' (NumPy) or 'cuda' "
                           "(an NVIDIA GPU through CuPy); use 'cpu' (on a Mac, npnn runs on the CPU)")
    return "cpu" if device == "cpu" else "cuda"


def to_device(array: Any, device: str) -> Any:
    """Move an array to 'cpu' (NumPy) or 'cuda' (CuPy)."""
    if device_name(device) == "cpu":
        return array.get() if _is_cupy_array(array) else array
    try:
        import cupy
    except ImportError:
        raise RuntimeError("device 'cuda' needs CuPy and an NVIDIA GPU (npnn runs on the GPU through "
                           "CuPy, not its own CUDA build): install cupy-cuda12x, or use 'cpu' "
                           "(npnn.cuda.is_available() tells which)") from None
    return cupy.asarray(array)


def cupyx_special() -> ModuleType:
    """`cupyx.scipy.special` (vectorised erf and friends for CuPy arrays)."""
    import cupyx.scipy.special

    return cupyx.scipy.special


CPU, CUDA = device("cpu"), device("cuda")


def device_of(array: Any) -> device:
    """Where an array lives: `device("cpu")` or `device("cuda")` (the current GPU; no index)."""
    return CUDA if _is_cupy_array(array) else CPU


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
