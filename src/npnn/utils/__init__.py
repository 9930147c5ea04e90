"""Utilities with PyTorch's paths: `npnn.utils.data` (Dataset, DataLoader, samplers, collation).

`import npnn` imports it, as `import torch` makes `torch.utils.data` reachable; it needs only
NumPy and the core (about 10 ms of import time).
"""

from npnn.utils import data

__all__ = ["data"]
