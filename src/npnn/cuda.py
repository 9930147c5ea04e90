"""`npnn.cuda`: is a GPU usable? (PyTorch's `torch.cuda.is_available()` / `device_count()`), and
PyTorch's CUDA seeding calls, which scripts make next to `torch.manual_seed`.

npnn runs on a GPU through CuPy; CuPy is imported only when one of these is called, never by
`import npnn`. npnn has no separate GPU generator: GPU tensors draw from the same global
generator as CPU ones, so `npnn.manual_seed` seeds both and the `cuda` seeding calls do nothing.
"""

from __future__ import annotations

from npnn import backend


def is_available() -> bool:
    """True when CuPy imports and sees a GPU (so `.to("cuda")` works)."""
    return backend.cupy_available()


def device_count() -> int:
    """How many GPUs CuPy sees (0 without CuPy)."""
    return backend.gpu_count()


def manual_seed(seed: int) -> None:
    """Does nothing: npnn's GPU draws come from the global generator; seed it with
    `npnn.manual_seed` (torch.cuda.manual_seed is likewise silent without a GPU)."""
    int(seed)  # a seed that is not a number still fails, as in PyTorch


def manual_seed_all(seed: int) -> None:
    """Does nothing, as `manual_seed` (one generator serves every device)."""
    int(seed)


def seed() -> None:
    """Does nothing: reseed the one generator with `npnn.seed()`."""


def seed_all() -> None:
    """Does nothing: reseed the one generator with `npnn.seed()`."""
