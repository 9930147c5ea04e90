"""torch's top-level names for linalg functions (torch.det, torch.inverse, torch.svd, ...),
with their older conventions where they differ: torch.svd returns (U, S, V), not Vh."""

from __future__ import annotations

import warnings
from typing import Any

from npnn._tensor import Tensor
from npnn.ops.linalg_decomp import cholesky as _cholesky
from npnn.ops.linalg_solve import det, inv, logdet, matrix_power
from npnn.ops.linalg_svd import pinv, qr_old, svd_old

__all__ = ["cholesky", "det", "inverse", "logdet", "matrix_power", "pinverse", "qr", "svd"]

svd = svd_old


def _deprecated(name: str) -> None:
    warnings.warn(f"torch.{name} is deprecated in favor of torch.linalg.{name} and will be removed in a "
                  "future PyTorch release.", UserWarning, stacklevel=3)


def qr(input: Any, some: bool = True) -> Any:
    """torch.qr (deprecated, with torch's warning): linalg.qr's 'reduced' (some) or 'complete' mode."""
    _deprecated("qr")
    return qr_old(input, some)


def inverse(input: Any) -> Tensor:
    """torch.inverse: npnn.linalg.inv."""
    return inv(input)


def pinverse(input: Any, rcond: float = 1e-15) -> Tensor:
    """torch.pinverse: the pseudo-inverse dropping singular values below rcond * the largest."""
    return pinv(input, rtol=rcond)


def cholesky(input: Any, upper: bool = False) -> Tensor:
    """torch.cholesky (deprecated, with torch's warning): linalg.cholesky's factor."""
    _deprecated("cholesky")
    return _cholesky(input, upper=upper)
