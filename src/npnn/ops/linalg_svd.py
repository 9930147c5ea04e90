"""SVD and QR of batched (..., m, n) matrices with torch's gradients (derivatives.yaml's
svd_backward and linalg_qr_backward), and what is built on the SVD: svdvals and pinv.

Singular vectors are defined up to sign, so only losses that do not depend on the sign (as
torch's docs advise) have meaningful gradients; repeated singular values give inf, as torch's.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.linalg_solve import check_matrix
from npnn.ops.selection import where


class SVDResult(NamedTuple):
    U: Tensor
    S: Tensor
    Vh: Tensor


class SVDOldResult(NamedTuple):
    """torch.svd's (U, S, V)."""

    U: Tensor
    S: Tensor
    V: Tensor


class QRResult(NamedTuple):
    Q: Tensor
    R: Tensor


def _mT(a: Any) -> Any:
    return a.swapaxes(-1, -2)


def _pack(xp: Any, batch: tuple[int, ...], *arrays: Any) -> Any:
    """Several results flattened side by side into one (..., total) array, so one Function
    node gives them all (the unpacking slices are ordinary differentiable views)."""
    return xp.concatenate([a.reshape((*batch, -1)) for a in arrays], axis=-1)


def _unpack(packed: Tensor, batch: tuple[int, ...], *shapes: tuple[int, ...]) -> list[Tensor]:
    parts, start = [], 0
    for shape in shapes:
        size = 1
        for s in shape:
            size *= s
        parts.append(packed[..., start:start + size].reshape(*batch, *shape))
        start += size
    return parts


class SVD(Function):
    def forward(self, a, full_matrices=True):
        xp = backend.get_array_module(a)
        U, S, Vh = xp.linalg.svd(a, full_matrices=full_matrices)
        self.U, self.S, self.Vh = U, S, Vh
        self.shapes = (U.shape[-2:], S.shape[-1:], Vh.shape[-2:])
        return _pack(xp, a.shape[:-2], U, S, Vh)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        batch = grad_output.shape[:-1]
        sizes = [s[0] * (s[1] if len(s) > 1 else 1) for s in self.shapes]
        gU = grad_output[..., :sizes[0]].reshape(batch + self.shapes[0])
        gS = grad_output[..., sizes[0]:sizes[0] + sizes[1]]
        gVh = grad_output[..., sizes[0] + sizes[1]:].reshape(batch + self.shapes[2])
        S = self.S
        k = S.shape[-1]
        U, Vh, gU, gVh = self.U[..., :k], self.Vh[..., :k, :], gU[..., :k], gVh[..., :k, :]
        m, n = U.shape[-2], Vh.shape[-1]
        V, gV = _mT(Vh), _mT(gVh)
        UhgU, VhgV = _mT(U) @ gU, Vh @ gV
        eye = xp.eye(k, dtype=bool)
        gap = S[..., None, :] ** 2 - S[..., :, None] ** 2  # E_jk = S_k^2 - S_j^2
        gap = xp.where(eye, 1, gap)
        inner = ((UhgU - _mT(UhgU)) / gap) * S[..., None, :] + S[..., :, None] * ((VhgV - _mT(VhgV)) / gap)
        inner = xp.where(eye, 0, inner) + gS[..., None, :] * eye
        grad = U @ inner @ Vh
        if m > k:
            grad = grad + ((gU - U @ UhgU) / S[..., None, :]) @ Vh
        if n > k:
            grad = grad + U @ _mT((gV - V @ VhgV) / S[..., None, :])
        return grad


class QR(Function):
    def forward(self, a, mode="reduced"):
        xp = backend.get_array_module(a)
        self.mode = mode
        Q, R = xp.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        self.Q, self.R, self.shapes = Q, R, (Q.shape[-2:], R.shape[-2:])
        return _pack(xp, a.shape[:-2], Q, R)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        Q, R = self.Q, self.R
        m, n = Q.shape[-2], R.shape[-1]
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                               "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                               "differentiate through linalg.qr.")
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                               "nrows > ncols.")
        batch = grad_output.shape[:-1]
        size_q = Q.shape[-2] * Q.shape[-1]
        gQ = grad_output[..., :size_q].reshape(batch + Q.shape[-2:])
        gR = grad_output[..., size_q:].reshape(batch + R.shape[-2:])
        if m >= n:
            return _qr_tall_grad(xp, Q, R, gQ, gR)
        # A = [X Y], R = [U V]: X = Q U is a square QR, Y = Q V
        U, V, gU, gV = R[..., :m], R[..., m:], gR[..., :m], gR[..., m:]
        gY = Q @ gV
        gX = _qr_tall_grad(xp, Q, U, gQ + (Q @ V) @ _mT(gV), gU)
        return xp.concatenate([gX, gY], axis=-1)


def _qr_tall_grad(xp: Any, Q: Any, R: Any, gQ: Any, gR: Any) -> Any:
    """gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q (m >= n)."""
    M = R @ _mT(gR) - _mT(gQ) @ Q
    lower = xp.tril(M, -1)
    sym = lower + _mT(lower) + xp.tril(xp.triu(M))
    b = gQ + Q @ sym
    return _mT(xp.linalg.solve(R, _mT(b)))


def svd(A: Any, full_matrices: bool = True, *, driver: str | None = None) -> SVDResult:
    """torch.linalg.svd: A = U diag(S) Vh with S descending; `driver` (CUDA only in torch) is ignored."""
    A = to_tensor(A)
    check_matrix(A, "linalg.svd")
    batch, (m, n) = tuple(A.shape[:-2]), tuple(A.shape[-2:])
    k = min(m, n)
    packed = SVD.apply(A, full_matrices=bool(full_matrices))
    cols, rows = (m, n) if full_matrices else (k, k)
    U, S, Vh = _unpack(packed, batch, (m, cols), (k,), (rows, n))
    return SVDResult(U, S, Vh)


def svdvals(A: Any, *, driver: str | None = None) -> Tensor:
    """torch.linalg.svdvals: the singular values, descending."""
    A = to_tensor(A)
    check_matrix(A, "linalg.svdvals")
    return svd(A, full_matrices=False).S


def svd_old(A: Any, some: bool = True, compute_uv: bool = True) -> SVDOldResult:
    """torch.svd (deprecated in torch): (U, S, V) with V = Vh^T; some=False gives full U and V.
    compute_uv=False gives zero U and V, as torch's."""
    A = to_tensor(A)
    U, S, Vh = svd(A, full_matrices=not some)
    if not compute_uv:
        return SVDOldResult(U.detach() * 0, S, Vh.detach().mT * 0)
    return SVDOldResult(U, S, Vh.mT)


def qr(A: Any, mode: str = "reduced") -> QRResult:
    """torch.linalg.qr: A = Q R; mode 'reduced' (k = min(m, n) columns of Q), 'complete' (all m),
    or 'r' (R only; Q is an empty tensor, and R has no gradient, as torch's)."""
    A = to_tensor(A)
    check_matrix(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                           "(default), 'r', or 'complete'")
    batch, (m, n) = tuple(A.shape[:-2]), tuple(A.shape[-2:])
    k = min(m, n)
    packed = QR.apply(A, mode=mode)
    q_cols, r_rows = (m, m) if mode == "complete" else (k, k)
    Q, R = _unpack(packed, batch, (m, q_cols), (r_rows, n))
    if mode == "r":
        xp = backend.get_array_module(A.array)
        Q = Tensor(xp.zeros((0,), dtype=A.array.dtype))
    return QRResult(Q, R)


def qr_old(A: Any, some: bool = True) -> QRResult:
    """torch.qr (deprecated in torch): mode 'reduced' when some=True, else 'complete'."""
    return qr(A, "reduced" if some else "complete")


def pinv(A: Any, *, atol: float | None = None, rtol: float | None = None, hermitian: bool = False) -> Tensor:
    """torch.linalg.pinv through the SVD: singular values at most max(atol, rtol * largest) are
    dropped; rtol defaults to eps * max(m, n) when atol is not given, else 0."""
    A = to_tensor(A)
    check_matrix(A, "linalg.pinv")
    U, sv, Vh = svd(A, full_matrices=False)
    m, n = A.shape[-2:]
    xp = backend.get_array_module(A.array)
    if rtol is None:
        rtol = float(xp.finfo(A.array.dtype).eps) * max(m, n) if atol is None or atol <= 0 else 0.0
    cutoff = rtol * sv.detach().amax(-1, keepdim=True) if sv.shape[-1] else sv.detach()
    if atol is not None:
        cutoff = cutoff.clamp_min(atol)
    keep = sv > cutoff
    s_inv = where(keep, 1 / where(keep, sv, 1.0), 0.0)
    return Vh.mT @ (s_inv.unsqueeze(-1) * U.mT)
