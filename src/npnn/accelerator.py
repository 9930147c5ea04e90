"""`npnn.accelerator`: PyTorch's device-agnostic queries, as the current Quickstart uses them:
`device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"`.

npnn's only accelerator is an NVIDIA GPU through CuPy (no MPS, XPU, ...).
"""

from __future__ import annotations

from npnn import cuda
from npnn.device import device


def is_available() -> bool:
    """True when a GPU is usable through CuPy."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> device | None:
    """`device("cuda")` when CuPy sees a GPU, else None (as a CPU-only PyTorch)."""
    return device("cuda") if cuda.is_available() else None


def device_count() -> int:
    return cuda.device_count()
