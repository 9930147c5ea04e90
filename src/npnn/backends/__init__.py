"""`npnn.backends`: PyTorch's backend queries that older tutorials call (`backends.mps`)."""

from npnn.backends import mps

__all__ = ["mps"]
