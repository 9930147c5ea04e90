"""npnn.linalg against torch.linalg beyond the op table: error types and texts, named-tuple
fields, result shapes of every mode, the triangle eigh/cholesky read, lstsq's fields, the
old top-level conventions (torch.svd's V) and the Tensor methods."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import linalg

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

RNG = np.random.default_rng(0)


def _both(array: np.ndarray) -> tuple[npnn.Tensor, object]:
    return npnn.tensor(array), torch.tensor(array)


def _error(fn, *arrays: np.ndarray) -> tuple[BaseException, BaseException]:
    """The exceptions npnn and torch raise for the same call."""
    errors = []
    for lib, wrap in ((linalg, npnn.tensor), (torch.linalg, torch.tensor)):
        with pytest.raises(RuntimeError) as info:
            fn(lib, *[wrap(a) for a in arrays])
        errors.append(info.value)
    return errors[0], errors[1]


SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]])
BATCH_SINGULAR = np.stack([np.eye(3), SINGULAR, np.zeros((3, 3))])
NOT_PD = np.diag([1.0, -1.0, 2.0])


@pytest.mark.parametrize("fn, arrays, linalg_error", [
    (lambda lib, a: lib.inv(a), (SINGULAR,), True),
    (lambda lib, a: lib.inv(a), (BATCH_SINGULAR,), True),
    (lambda lib, a: lib.inv(a), (np.zeros((2, 3)),), False),
    (lambda lib, a: lib.inv(a), (np.zeros(3),), False),
    (lambda lib, a: lib.inv(a), (np.eye(3, dtype=np.int64),), False),
    (lambda lib, a: lib.svd(a), (np.eye(3, dtype=np.int64),), False),
    (lambda lib, a: lib.det(a), (np.zeros((2, 3)),), False),
    (lambda lib, a: lib.solve(a, a[..., 0]), (SINGULAR,), True),
    (lambda lib, a, b: lib.solve(a, b), (np.eye(3), np.ones(4)), False),
    (lambda lib, a: lib.cholesky(a), (NOT_PD,), True),
    (lambda lib, a: lib.cholesky(a), (np.stack([np.eye(3), NOT_PD]),), True),
    (lambda lib, a: lib.eigh(a), (np.zeros((2, 3)),), False),
    (lambda lib, a: lib.matrix_power(a, 2), (np.zeros((2, 3)),), False),
    (lambda lib, a: lib.matrix_norm(a, 3), (np.eye(3),), False),
    (lambda lib, a: lib.matrix_norm(a), (np.ones(3),), False),
    (lambda lib, a: lib.qr(a, "economic"), (np.eye(3),), False),
    (lambda lib, a, b: lib.lstsq(a, b, driver="foo"), (np.eye(3), np.ones((3, 1))), False),
], ids=["inv_singular", "inv_batch_singular", "inv_not_square", "inv_1d", "inv_int", "svd_int",
        "det_not_square",
        "solve_singular", "solve_shapes", "cholesky_not_pd", "cholesky_batch_not_pd", "eigh_not_square",
        "matrix_power_not_square", "matrix_norm_order", "matrix_norm_1d", "qr_mode", "lstsq_driver"])
def test_errors_as_torch(fn, arrays, linalg_error) -> None:
    ours, theirs = _error(fn, *arrays)
    assert str(ours) == str(theirs)
    assert isinstance(ours, linalg.LinAlgError) == linalg_error
    assert isinstance(theirs, torch.linalg.LinAlgError) == linalg_error


def test_linalg_error_is_a_runtime_error() -> None:
    assert issubclass(linalg.LinAlgError, RuntimeError)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_named_results_as_torch(dtype) -> None:
    a = (RNG.standard_normal((2, 4, 3))).astype(dtype)
    square = a[..., :3, :] @ np.swapaxes(a[..., :3, :], -1, -2) + np.eye(3, dtype=dtype)
    pairs = [(linalg.slogdet, torch.linalg.slogdet, square), (linalg.eigh, torch.linalg.eigh, square),
             (linalg.qr, torch.linalg.qr, a), (linalg.svd, torch.linalg.svd, a),
             (npnn.svd, torch.svd, a), (linalg.qr, torch.linalg.qr, a)]
    for ours_fn, theirs_fn, array in pairs:
        ours, theirs = ours_fn(npnn.tensor(array)), theirs_fn(torch.tensor(array))
        assert ours._fields == type(theirs).__match_args__
        assert [type(f).__name__ for f in ours] == ["Tensor"] * len(theirs)
        for field in ours._fields:
            mine, ref = getattr(ours, field), getattr(theirs, field)
            assert mine.shape == tuple(ref.shape) and mine.dtype == dtype, field
    sign, logabs = linalg.slogdet(npnn.tensor(square))
    t_sign, t_logabs = torch.linalg.slogdet(torch.tensor(square))
    np.testing.assert_allclose(sign.numpy(), t_sign.numpy())
    np.testing.assert_allclose(logabs.numpy(), t_logabs.numpy(), rtol=1e-5)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_modes_shapes_and_reconstruction(shape, mode) -> None:
    a = RNG.standard_normal(shape)
    ours, theirs = linalg.qr(npnn.tensor(a), mode), torch.linalg.qr(torch.tensor(a), mode)
    assert ours.Q.shape == tuple(theirs.Q.shape) and ours.R.shape == tuple(theirs.R.shape)
    np.testing.assert_allclose(np.abs(ours.R.numpy()), np.abs(theirs.R.numpy()), atol=1e-12)
    if mode != "r":
        np.testing.assert_allclose((ours.Q @ ours.R).numpy(), a, atol=1e-12)


@pytest.mark.parametrize("full_matrices", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 5)])
def test_svd_shapes_and_reconstruction(shape, full_matrices) -> None:
    a = RNG.standard_normal(shape)
    ours = linalg.svd(npnn.tensor(a), full_matrices=full_matrices)
    theirs = torch.linalg.svd(torch.tensor(a), full_matrices=full_matrices)
    for mine, ref in zip(ours, theirs, strict=True):
        assert mine.shape == tuple(ref.shape)
    k = min(shape[-2:])
    rebuilt = (ours.U[..., :k] * ours.S.unsqueeze(-2)) @ ours.Vh[..., :k, :]
    np.testing.assert_allclose(rebuilt.numpy(), a, atol=1e-12)
    np.testing.assert_allclose(linalg.svdvals(npnn.tensor(a)).numpy(), theirs.S.numpy(), rtol=1e-12)


def test_old_svd_returns_v_and_some() -> None:
    a = RNG.standard_normal((5, 3))
    for some in (True, False):
        ours, theirs = npnn.svd(npnn.tensor(a), some=some), torch.svd(torch.tensor(a), some=some)
        assert ours.V.shape == tuple(theirs.V.shape) and ours.U.shape == tuple(theirs.U.shape)
        np.testing.assert_allclose(np.abs(ours.V.numpy()), np.abs(theirs.V.numpy()), atol=1e-12)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_reads_one_triangle_as_torch(uplo) -> None:
    a = RNG.standard_normal((2, 4, 4))  # not symmetric: only the UPLO triangle counts
    ours, theirs = linalg.eigh(npnn.tensor(a), UPLO=uplo), torch.linalg.eigh(torch.tensor(a), UPLO=uplo)
    np.testing.assert_allclose(ours.eigenvalues.numpy(), theirs.eigenvalues.numpy(), rtol=1e-10)
    np.testing.assert_allclose(linalg.eigvalsh(npnn.tensor(a), uplo).numpy(), theirs.eigenvalues.numpy(),
                               rtol=1e-10)
    np.testing.assert_allclose(np.abs(ours.eigenvectors.numpy()), np.abs(theirs.eigenvectors.numpy()),
                               atol=1e-10)


def test_cholesky_reads_the_lower_triangle_as_torch() -> None:
    x = RNG.standard_normal((3, 3))
    a = x @ x.T + np.eye(3)
    a[0, 2] = 100.0  # the upper triangle is ignored
    np.testing.assert_allclose(linalg.cholesky(npnn.tensor(a)).numpy(),
                               torch.linalg.cholesky(torch.tensor(a)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 5, 3)])
def test_lstsq_fields_as_torch(shape, driver) -> None:
    a, b = RNG.standard_normal(shape), RNG.standard_normal((*shape[:-1], 2))
    ours = linalg.lstsq(npnn.tensor(a), npnn.tensor(b), driver=driver)
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    assert ours._fields == type(theirs).__match_args__
    if driver != "gels" or shape[-2] >= shape[-1]:  # gels gives a basic, not least-norm, solution
        np.testing.assert_allclose(ours.solution.numpy(), theirs.solution.numpy(), rtol=1e-10, atol=1e-12)
    for field in ("residuals", "rank", "singular_values"):
        mine, ref = getattr(ours, field), getattr(theirs, field)
        assert mine.shape == tuple(ref.shape) and mine.dtype == ref.numpy().dtype, field
        np.testing.assert_allclose(mine.numpy(), ref.numpy(), rtol=1e-10, err_msg=field)


def test_rank_deficient_pinv_and_logdet_as_torch() -> None:
    a = RNG.standard_normal((4, 2)) @ RNG.standard_normal((2, 3))  # rank 2
    ours, theirs = _both(a)
    np.testing.assert_allclose(linalg.pinv(ours).numpy(), torch.linalg.pinv(theirs).numpy(),
                               rtol=1e-8, atol=1e-10)
    negative = np.diag([-1.0, 2.0])
    assert np.isnan(npnn.logdet(npnn.tensor(negative)).item())
    assert torch.logdet(torch.tensor(negative)).isnan()


@pytest.mark.parametrize("n", [0, 1, 2, 5, -1, -3])
def test_matrix_power_and_methods_as_torch(n) -> None:
    a = RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    ours, theirs = _both(a)
    np.testing.assert_allclose(ours.matrix_power(n).numpy(), theirs.matrix_power(n).numpy(), rtol=1e-10)
    for name in ("inverse", "det", "logdet", "pinverse"):
        np.testing.assert_allclose(getattr(ours, name)().numpy(), getattr(theirs, name)().numpy(), rtol=1e-10,
                                   err_msg=name)
    with pytest.warns(UserWarning, match="torch.cholesky is deprecated in favor of torch.linalg.cholesky"):
        mine = npnn.cholesky(ours @ ours.mT)
    theirs_factor = torch.linalg.cholesky(theirs @ theirs.mT)  # torch.cholesky warns once per process
    np.testing.assert_allclose(mine.numpy(), theirs_factor.numpy(), rtol=1e-10)


@pytest.mark.parametrize("some", [True, False])
def test_old_qr_warns_as_torch(some) -> None:
    """torch.qr's deprecation warning (torch gives it once per process, so not compared live)."""
    a = RNG.standard_normal((4, 3))
    with pytest.warns(UserWarning, match="torch.qr is deprecated in favor of torch.linalg.qr and will be "
                      "removed in a future PyTorch release."):
        ours = npnn.qr(npnn.tensor(a), some)
    theirs = torch.linalg.qr(torch.tensor(a), "reduced" if some else "complete")
    assert ours._fields == type(theirs).__match_args__ and ours.Q.shape == tuple(theirs.Q.shape)


def test_linalg_aliases_as_torch() -> None:
    a, b = RNG.standard_normal((2, 4, 3)), RNG.standard_normal((2, 4, 3))
    np.testing.assert_allclose(linalg.cross(npnn.tensor(a), npnn.tensor(b)).numpy(),
                               torch.linalg.cross(torch.tensor(a), torch.tensor(b)).numpy())
    np.testing.assert_allclose(linalg.diagonal(npnn.tensor(a), offset=1).numpy(),
                               torch.linalg.diagonal(torch.tensor(a), offset=1).numpy())
    for ord in ("fro", "nuc", 2, -2, 1, -1, float("inf"), -float("inf")):
        ours = linalg.matrix_norm(npnn.tensor(a), ord, dim=(0, 2), keepdim=True)
        theirs = torch.linalg.matrix_norm(torch.tensor(a), ord, dim=(0, 2), keepdim=True)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, err_msg=str(ord))


@pytest.mark.parametrize("matrix", [SINGULAR, BATCH_SINGULAR, np.diag([0.0, 0.0, 2.0])],
                         ids=["rank2", "batch", "rank1"])
def test_singular_det_gradient_as_torch(matrix) -> None:
    ours, theirs = npnn.tensor(matrix, requires_grad=True), torch.tensor(matrix, requires_grad=True)
    linalg.det(ours).sum().backward()
    torch.linalg.det(theirs).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-12)


def test_matrix_power_zero_stays_in_the_graph_as_torch() -> None:
    a = RNG.standard_normal((2, 3, 3))
    ours, theirs = npnn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    mine, ref = linalg.matrix_power(ours, 0), torch.linalg.matrix_power(theirs, 0)
    assert mine.requires_grad and ref.requires_grad
    np.testing.assert_array_equal(mine.numpy(), ref.detach().numpy())
    mine.sum().backward()
    ref.sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_sgd_steps_through_solve_and_logdet_as_torch() -> None:
    """A few SGD steps on a loss of solve and logdet from the same start: the same weights."""
    w0 = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    b, target = RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2))
    results = []
    for lib in (npnn, torch):
        w = lib.tensor(w0.copy(), requires_grad=True)
        optimizer = lib.optim.SGD([w], lr=0.05, momentum=0.9)
        for _ in range(5):
            optimizer.zero_grad()
            eye = lib.eye(3, dtype=w.dtype)
            loss = ((lib.linalg.solve(w, lib.tensor(b)) - lib.tensor(target)) ** 2).sum() \
                - lib.logdet(w @ w.mT + eye) + lib.linalg.svdvals(w).sum()
            loss.backward()
            optimizer.step()
        results.append(w.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10)
