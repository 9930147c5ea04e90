"""torch's top-level names for linalg functions (torch.det, torch.inverse, torch.svd, ...),
with their older conventions where they differ: torch.svd returns (U, S, V), not Vh."""

from __future__ import annotations

from typing import Any

from npnn._tensor import Tensor
from npnn.ops.linalg_decomp import cholesky as _cholesky
from npnn.ops.linalg_solve import det, inv, logdet, matrix_power
from npnn.ops.linalg_svd import pinv, qr_old, svd_old

__all__ = ["cholesky", "det", "inverse", "logdet", "matrix_power", "pinverse", "qr", "svd"]

qr = qr_old
svd = svd_old


def inverse(input: Any) -> Tensor:
    """torch.inverse: npnn.linalg.inv."""
    return inv(input)


def pinverse(input: Any, rcond: float = 1e-15) -> Tensor:
    """torch.pinverse: the pseudo-inverse dropping singular values below rcond * the largest."""
    return pinv(input, rtol=rcond)


def cholesky(input: Any, upper: bool = False) -> Tensor:
    """torch.cholesky (deprecated in torch for torch.linalg.cholesky): the same factor."""
    return _cholesky(input, upper=upper)
