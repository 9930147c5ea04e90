"""Matrix norms and least squares, built from the SVD and ordinary reductions, so their
gradients come from those ops."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.ops.linalg_svd import pinv, svd
from npnn.ops.reduction import norm

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


class LstsqResult(NamedTuple):
    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


def matrix_norm(A: Any, ord: Any = "fro", dim: tuple[int, int] = (-2, -1), keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """torch.linalg.matrix_norm: 'fro', 'nuc', 2/-2 (largest/smallest singular value),
    1/-1 (max/min column abs sum), inf/-inf (max/min row abs sum) over the two dims `dim`."""
    A = to_tensor(A)
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if dtype is not None:
        A = A.to(dtype)
    if ord not in ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    d0, d1 = (d % A.ndim for d in dim)
    if ord == "fro":
        return norm(A, "fro", (d0, d1), keepdim)
    if ord in (1, -1, math.inf, -math.inf):
        sum_dim, pick_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(sum_dim, keepdim=True)
        out = sums.amax(pick_dim, keepdim=True) if ord > 0 else sums.amin(pick_dim, keepdim=True)
        return out if keepdim else out.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    moved = A.movedim((d0, d1), (-2, -1))
    S = svd(moved, full_matrices=False).S
    out = S.sum(-1) if ord == "nuc" else (S.amax(-1) if ord == 2 else S.amin(-1))
    if keepdim:
        out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
    return out


def lstsq(A: Any, B: Any, rcond: float | None = None, *, driver: str | None = None) -> LstsqResult:
    """torch.linalg.lstsq (CPU drivers; default gelsy): the solution of min ||A X - B|| through the
    pseudo-inverse (of least norm where A is rank-deficient, as gelsy's/gelsd's), and the fields
    each driver fills in torch: residuals (m > n, full rank, not gelsy), rank (not gels),
    singular_values (gelsd, gelss); the others are empty."""
    A, B = to_tensor(A), to_tensor(B)
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of "
                           "(gels, gelsy, gelsd, gelss)")
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    vector = B.ndim == A.ndim - 1
    b = B.unsqueeze(-1) if vector else B
    if b.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2). "
                           f"Got {A.shape[-2]} and {b.shape[-2]}")
    xp = backend.get_array_module(A.array)
    m, n = A.shape[-2:]
    eps = float(xp.finfo(A.array.dtype).eps)
    rtol = eps * max(m, n) if rcond is None or rcond < 0 else rcond
    solution = pinv(A, rtol=rtol) @ b
    sv = svd(A, full_matrices=False).S
    s = sv.array
    rank = (s > rtol * s.max(-1, keepdims=True)).sum(-1) if s.shape[-1] else xp.zeros(s.shape[:-1])
    empty = Tensor(xp.zeros((0,), dtype=A.array.dtype))
    residuals = empty
    if m > n and driver != "gelsy" and bool((rank == n).all()):
        residuals = ((A @ solution - b) ** 2).sum(-2)
        residuals = residuals.squeeze(-1) if vector else residuals
    ranks = Tensor(xp.zeros((0,), "int64")) if driver == "gels" else Tensor(xp.asarray(rank, "int64"))
    values = sv if driver in ("gelsd", "gelss") else Tensor(empty.array.copy())
    return LstsqResult(solution.squeeze(-1) if vector else solution, residuals, ranks, values)
