"""`npnn.linalg`: torch.linalg's functions on batched (..., m, n) float32/float64 matrices,
with gradients by torch's formulas. The ops live in npnn.ops.linalg_solve (inv, solve, det,
slogdet, matrix_power), linalg_decomp (cholesky, eigh), linalg_svd (svd, qr, pinv) and
linalg_norms (matrix_norm, lstsq).

A singular or non-positive-definite matrix raises `LinAlgError` (a RuntimeError), as torch's.
Differences: lstsq solves through the pseudo-inverse (least-norm, also for gels on a wide A);
svd's `driver` (CUDA only in torch) is ignored.
"""

from __future__ import annotations

from typing import Any

from npnn._tensor import Tensor, to_tensor
from npnn.ops import cross as _cross
from npnn.ops import norm as _norm
from npnn.ops.linalg_decomp import EighResult, cholesky, eigh, eigvalsh
from npnn.ops.linalg_norms import LstsqResult, lstsq, matrix_norm
from npnn.ops.linalg_solve import LinAlgError, SlogdetResult, det, inv, matrix_power, slogdet, solve
from npnn.ops.linalg_svd import QRResult, SVDResult, pinv, qr, svd, svdvals
from npnn.ops.triangular import diagonal as _diagonal
from npnn.tensor_math import Dim

__all__ = [
    "EighResult", "LinAlgError", "LstsqResult", "QRResult", "SVDResult", "SlogdetResult", "cholesky",
    "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "lstsq", "matrix_norm", "matrix_power", "norm",
    "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "vector_norm",
]


def vector_norm(x: Tensor, ord: float = 2, dim: Dim = None, keepdim: bool = False) -> Tensor:
    """The `ord`-norm of `x` flattened, or along `dim` (as torch.linalg.vector_norm)."""
    return _norm(x, ord, dim, keepdim)


def norm(A: Tensor, ord: Any = None, dim: Dim = None, keepdim: bool = False) -> Tensor:
    """torch.linalg.norm: the 2-norm of `A` flattened (ord=None), a vector norm along an int
    `dim`, or a matrix norm (matrix_norm's `ord`) of a 2-D `A` or over a pair `dim`."""
    A = to_tensor(A)
    matrix = (dim is None and A.ndim == 2) or (isinstance(dim, (tuple, list)) and len(dim) == 2)
    if ord is None or not matrix:
        return _norm(A, "fro" if ord is None else ord, dim, keepdim)
    return matrix_norm(A, ord, (-2, -1) if dim is None else tuple(dim), keepdim)


def cross(input: Any, other: Any, *, dim: int = -1) -> Tensor:
    """torch.linalg.cross: the cross product along `dim` (default -1, unlike torch.cross's)."""
    return _cross(input, other, dim=dim)


def diagonal(A: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """torch.linalg.diagonal: torch.diagonal over the last two dims by default."""
    return _diagonal(A, offset, dim1, dim2)
