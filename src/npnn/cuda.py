"""`npnn.cuda`: is a GPU usable? (PyTorch's `torch.cuda.is_available()` / `device_count()`).

npnn runs on a GPU through CuPy; CuPy is imported only when one of these is called, never by
`import npnn`.
"""

from __future__ import annotations

from npnn import backend


def is_available() -> bool:
    """True when CuPy imports and sees a GPU (so `.to("cuda")` works)."""
    return backend.cupy_available()


def device_count() -> int:
    """How many GPUs CuPy sees (0 without CuPy)."""
    return backend.gpu_count()
