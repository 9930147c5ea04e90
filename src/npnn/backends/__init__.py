"""`npnn.backends`: PyTorch's backend queries and switches that scripts touch (`backends.mps`,
`backends.cudnn.deterministic`)."""

from npnn.backends import cudnn, mps

__all__ = ["cudnn", "mps"]
