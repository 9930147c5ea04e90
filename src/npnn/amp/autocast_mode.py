"""`npnn.autocast`: a context manager and decorator with torch.autocast's signature.

PyTorch's autocast runs chosen ops (matmul, conv, ...) in float16/bfloat16. npnn computes in
the tensors' own dtype and NumPy has no bfloat16, so an enabled autocast to a 16-bit dtype is
refused with what to do instead. It runs, changing nothing, where PyTorch's would also change
nothing: `enabled=False`, a dtype PyTorch does not autocast to (float32: PyTorch warns and
disables), and device 'cuda' without a GPU (PyTorch warns and disables).
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any

import numpy as np

from npnn import cuda

_DEVICES = ("cpu", "cuda", "mps", "xpu", "hpu", "xla", "meta", "mtia", "ipu", "maia")
_active: list[bool] = []


class autocast(contextlib.ContextDecorator):
    """`with npnn.autocast("cpu", enabled=False):` / `@npnn.autocast(...)`; see the module doc."""

    def __init__(self, device_type: str, dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type.split(":")[0] not in _DEVICES:
            raise RuntimeError(f"Invalid device string: '{device_type}'")
        self.device = device_type
        self.fast_dtype = dtype
        self._enabled = bool(enabled)
        if not self._enabled:
            return
        if device_type == "cuda" and not cuda.is_available():
            warnings.warn("User provided device_type of 'cuda', but CUDA is not available. Disabling",
                          UserWarning, stacklevel=2)
            self._enabled = False
        elif dtype is not None and _is_float32(dtype):
            warnings.warn(f"In {device_type.upper()} autocast, but the target dtype is not supported. "
                          "Disabling autocast.", UserWarning, stacklevel=2)
            self._enabled = False
        else:
            target = "bfloat16" if dtype is None and device_type == "cpu" else (
                "float16" if dtype is None else str(np.dtype(dtype)))
            raise RuntimeError(
                f"npnn has no autocast: it computes in each tensor's own dtype, so it cannot run ops "
                f"in {target}. Drop the autocast (or pass enabled=False); for 16-bit floats convert "
                f"the model and inputs with .half()")

    def __enter__(self) -> autocast:
        _active.append(self._enabled)
        return self

    def __exit__(self, *exc: Any) -> None:
        _active.pop()


def _is_float32(dtype: Any) -> bool:
    try:
        return np.dtype(dtype) == np.float32
    except TypeError:
        return False


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """False: npnn never autocasts (an enabled autocast is refused or disabled)."""
    return any(_active)
