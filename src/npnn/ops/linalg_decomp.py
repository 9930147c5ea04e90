"""Cholesky and symmetric eigen-decompositions of batched (..., n, n) matrices, with gradients
by torch's formulas (derivatives.yaml). eigh's eigenvectors are defined up to sign, so only
losses that do not depend on the sign (as torch's docs advise) have meaningful gradients."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.linalg_solve import batch_error, check_square


class EighResult(NamedTuple):
    eigenvalues: Tensor
    eigenvectors: Tensor


def _mT(a: Any) -> Any:
    return a.swapaxes(-1, -2)


def _not_pd(m: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        return True
    return False


def _failing_minor(m: np.ndarray) -> int:
    return next(k for k in range(1, m.shape[0] + 1) if _not_pd(m[:k, :k]))


class Cholesky(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        lower = xp.tril(a) + _mT(xp.tril(a, -1))  # torch reads the lower triangle only
        try:
            self.L = xp.linalg.cholesky(lower)
        except np.linalg.LinAlgError:
            raise batch_error(lower, "linalg.cholesky", _not_pd, lambda m: (
                "The factorization could not be completed because the input is not positive-definite "
                f"(the leading minor of order {_failing_minor(m)} is not positive-definite).")) from None
        return self.L

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        L = self.L
        phi = xp.tril(_mT(L) @ grad_output)
        phi = phi - 0.5 * xp.tril(xp.triu(phi))  # halve the diagonal
        l_inv = xp.linalg.inv(L)
        grad = _mT(l_inv) @ phi @ l_inv
        return 0.5 * (grad + _mT(grad))


class Eigh(Function):
    """Eigenvalues and vectors packed as one (..., n + 1, n) array: row 0 the values."""

    def forward(self, a, lower=True):
        xp = backend.get_array_module(a)
        self.w, self.V = xp.linalg.eigh(a, UPLO="L" if lower else "U")
        return xp.concatenate([self.w[..., None, :], self.V], axis=-2)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        gw, gV = grad_output[..., 0, :], grad_output[..., 1:, :]
        w, V = self.w, self.V
        gap = w[..., None, :] - w[..., :, None]  # E_ij = w_j - w_i
        n = w.shape[-1]
        eye = xp.eye(n, dtype=bool)
        inner = _mT(V) @ gV
        inner = 0.5 * (inner - _mT(inner))  # torch keeps the skew part: V stays orthonormal
        inner = xp.where(eye, 0, inner / xp.where(eye, 1, gap))
        inner = inner + gw[..., None, :] * xp.eye(n, dtype=w.dtype)
        return V @ inner @ _mT(V)


def cholesky(A: Any, *, upper: bool = False) -> Tensor:
    """torch.linalg.cholesky: L with A = L L^T from A's lower triangle (L^T when upper=True);
    a matrix that is not positive-definite raises LinAlgError."""
    A = to_tensor(A)
    check_square(A, "linalg.cholesky")
    L = Cholesky.apply(A)
    return L.mT if upper else L


def _uplo(UPLO: str, op: str) -> bool:
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO == "L"


def eigh(A: Any, UPLO: str = "L") -> EighResult:
    """torch.linalg.eigh: ascending eigenvalues and orthonormal eigenvectors (columns) of a
    symmetric matrix read from its UPLO triangle."""
    A = to_tensor(A)
    check_square(A, "linalg.eigh")
    packed = Eigh.apply(A, lower=_uplo(UPLO, "linalg.eigh"))
    return EighResult(packed[..., 0, :], packed[..., 1:, :])


def eigvalsh(A: Any, UPLO: str = "L") -> Tensor:
    """torch.linalg.eigvalsh: the ascending eigenvalues of a symmetric matrix."""
    A = to_tensor(A)
    check_square(A, "linalg.eigvalsh")
    return Eigh.apply(A, lower=_uplo(UPLO, "linalg.eigvalsh"))[..., 0, :]
