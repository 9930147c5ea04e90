"""Op-table rows of npnn.linalg (registered by op_table.py): well-conditioned inputs (a random
matrix plus 3 I; symmetric positive-definite ones built inside the row as X X^T + I, so
finite differences see the same symmetric input torch's formulas assume), and for eigh, svd
and qr losses that do not depend on the sign of a vector (as torch's docs advise)."""

from __future__ import annotations

import numpy as np
from op_case import Arg, case, torch

import npnn
from npnn import linalg


def conditioned(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """A random square matrix (batch) plus 3 I: far from singular."""
    return rng.standard_normal(shape) + 3 * np.eye(shape[-1])


def separated(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """U diag(s) V^T with random orthonormal U, V and singular values 1, 2, ...: the SVD's
    gradients (1 / (s_i^2 - s_j^2)) and the pseudo-inverse stay well-conditioned in float32."""
    m, n = shape[-2:]
    k = min(m, n)
    u = np.linalg.qr(rng.standard_normal((*shape[:-2], m, m)))[0][..., :k]
    v = np.linalg.qr(rng.standard_normal((*shape[:-2], n, n)))[0][..., :k]
    s = np.arange(1, k + 1) + rng.uniform(0, 0.1, (*shape[:-2], k))
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


def spd(x):
    return x @ x.mT + _eye(x)


def _eye(x):
    n = x.shape[-1]
    return (npnn.eye(n, dtype=x.dtype) if isinstance(x, npnn.Tensor) else torch.eye(n, dtype=x.dtype))


def sign_free(vectors):
    """Squared entries: the same for v and -v."""
    return vectors * vectors


SQ = Arg((3, 3), conditioned)
BATCH = Arg((2, 3, 3), conditioned)
for label, arg in (("", SQ), ("_batched", BATCH)):
    case(f"linalg_inv{label}", linalg.inv, arg, ref=lambda a: torch.linalg.inv(a))
    case(f"linalg_det{label}", linalg.det, arg, ref=lambda a: torch.linalg.det(a))
    case(f"linalg_slogdet{label}", lambda a: linalg.slogdet(a).logabsdet, arg,
         ref=lambda a: torch.linalg.slogdet(a).logabsdet)
    case(f"logdet{label}", lambda a: npnn.logdet(spd(a)), arg, ref=lambda a: torch.logdet(spd(a)))
    case(f"linalg_cholesky{label}", lambda a: linalg.cholesky(spd(a)), arg,
         ref=lambda a: torch.linalg.cholesky(spd(a)))
    case(f"linalg_cholesky_upper{label}", lambda a: linalg.cholesky(spd(a), upper=True), arg,
         ref=lambda a: torch.linalg.cholesky(spd(a), upper=True))
    case(f"linalg_eigvalsh{label}", lambda a: linalg.eigvalsh(spd(a)), arg,
         ref=lambda a: torch.linalg.eigvalsh(spd(a)))
    case(f"linalg_eigh_vectors{label}", lambda a: sign_free(linalg.eigh(spd(a), UPLO="U").eigenvectors),
         arg, ref=lambda a: sign_free(torch.linalg.eigh(spd(a), UPLO="U").eigenvectors))
    case(f"linalg_matrix_power_3{label}", lambda a: linalg.matrix_power(a, 3), arg,
         ref=lambda a: torch.linalg.matrix_power(a, 3))
    case(f"linalg_matrix_power_minus2{label}", lambda a: linalg.matrix_power(a, -2), arg,
         ref=lambda a: torch.linalg.matrix_power(a, -2))
    case(f"linalg_solve_matrix{label}", linalg.solve, arg, Arg((*arg.shape[:-1], 2)),
         ref=lambda a, b: torch.linalg.solve(a, b))
    case(f"linalg_solve_vector{label}", linalg.solve, arg, Arg(arg.shape[:-1]),
         ref=lambda a, b: torch.linalg.solve(a, b))
    case(f"linalg_solve_right{label}", lambda a, b: linalg.solve(a, b, left=False), arg,
         Arg((*arg.shape[:-2], 2, 3)), ref=lambda a, b: torch.linalg.solve(a, b, left=False))
case("linalg_solve_broadcast_b", linalg.solve, BATCH, Arg((3, 2)), ref=lambda a, b: torch.linalg.solve(a, b))

for dims in ((4, 3), (3, 4), (2, 4, 3), (2, 3, 3)):
    label, shape = "x".join(map(str, dims)), Arg(dims, separated)
    case(f"linalg_svdvals_{label}", linalg.svdvals, shape, ref=lambda a: torch.linalg.svdvals(a))
    case(f"linalg_svd_U_{label}", lambda a: sign_free(linalg.svd(a, full_matrices=False).U), shape,
         ref=lambda a: sign_free(torch.linalg.svd(a, full_matrices=False).U))
    case(f"linalg_svd_UVh_{label}", lambda a: (lambda r: r.U @ r.Vh)(linalg.svd(a, full_matrices=False)),
         shape, ref=lambda a: (lambda r: r.U @ r.Vh)(torch.linalg.svd(a, full_matrices=False)))
    case(f"linalg_pinv_{label}", linalg.pinv, shape, ref=lambda a: torch.linalg.pinv(a))
    case(f"linalg_qr_Q_{label}", lambda a: linalg.qr(a).Q, shape, ref=lambda a: torch.linalg.qr(a).Q)
    case(f"linalg_qr_R_{label}", lambda a: linalg.qr(a).R, shape, ref=lambda a: torch.linalg.qr(a).R)
    case(f"linalg_lstsq_{label}", lambda a, b: linalg.lstsq(a, b).solution, shape,
         Arg((*dims[:-1], 2)), ref=lambda a, b: torch.linalg.lstsq(a, b).solution)
    for ord in ("nuc", 2, -2, 1, -1, float("inf"), -float("inf"), "fro"):
        case(f"linalg_matrix_norm_{ord}_{label}", lambda a, o=ord: linalg.matrix_norm(a, o), shape,
             ref=lambda a, o=ord: torch.linalg.matrix_norm(a, o))
case("linalg_qr_complete_wide", lambda a: linalg.qr(a, "complete").Q, Arg((3, 4)),
     ref=lambda a: torch.linalg.qr(a, "complete").Q)
case("svd_old_V", lambda a: sign_free(npnn.svd(a).V), Arg((4, 3)), ref=lambda a: sign_free(torch.svd(a).V))
case("pinverse_method", lambda a: a.pinverse(), Arg((4, 3)), ref=lambda a: a.pinverse())
case("inverse_method", lambda a: a.inverse(), SQ, ref=lambda a: a.inverse())
case("det_method", lambda a: a.det(), BATCH, ref=lambda a: a.det())
case("linalg_svd_full_matrices_U", lambda a: sign_free(linalg.svd(a).U[..., :3]), Arg((4, 3), separated),
     ref=lambda a: sign_free(torch.linalg.svd(a).U[..., :3]))
case("linalg_svd_full_matrices_Vh_wide", lambda a: sign_free(linalg.svd(a).Vh[..., :3, :]),
     Arg((3, 4), separated), ref=lambda a: sign_free(torch.linalg.svd(a).Vh[..., :3, :]))
