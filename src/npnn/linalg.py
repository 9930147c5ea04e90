"""`npnn.linalg`: the vector norms of `torch.linalg` (on top of `npnn.norm`).

Matrix norms other than Frobenius (`ord` = 'nuc', 2, -2, 1, -1, inf, -inf on a matrix) need an
SVD or per-axis sums that npnn does not have; they are refused with a message.
"""

from __future__ import annotations

from typing import Any

from npnn._tensor import Tensor
from npnn.ops import norm as _norm
from npnn.tensor_math import Dim


def vector_norm(x: Tensor, ord: float = 2, dim: Dim = None, keepdim: bool = False) -> Tensor:
    """The `ord`-norm of `x` flattened, or along `dim` (as torch.linalg.vector_norm)."""
    return _norm(x, ord, dim, keepdim)


def norm(A: Tensor, ord: Any = None, dim: Dim = None, keepdim: bool = False) -> Tensor:
    """torch.linalg.norm: the 2-norm of `A` flattened (ord=None), a vector norm along an int
    `dim`, or the Frobenius norm of a matrix; other matrix norms are refused."""
    matrix = (dim is None and A.ndim == 2) or (isinstance(dim, (tuple, list)) and len(dim) == 2)
    if ord is None or ord == "fro" or not matrix:
        return _norm(A, "fro" if ord is None else ord, dim, keepdim)
    raise NotImplementedError(f"npnn.linalg.norm: the matrix norm ord={ord!r} is not implemented "
                              "(npnn has no SVD); use ord='fro', or a vector norm along one dim")
