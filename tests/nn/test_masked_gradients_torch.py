"""Where a backward masks its gradient, an inf or NaN arriving at a masked position gives 0, as
PyTorch's (a multiplication by the mask would give NaN); and LP pooling's edge cases as PyTorch's."""

from __future__ import annotations

import math

import numpy as np
import pytest

import npnn
import npnn.nn.functional as F

torch = pytest.importorskip("torch", reason="torch is the reference for these values")
TF = torch.nn.functional

X = [-1.0, 0.0, 2.0]
UPSTREAM = [math.inf, math.nan, 1.0]
MASKED = [
    ("clamp", lambda m, x: m.clamp(x, min=0.0)),
    ("clamp_min", lambda m, x: x.clamp_min(0.0)),
    ("hardtanh", lambda m, x: m.nn.functional.hardtanh(x)),
    ("relu6", lambda m, x: m.nn.functional.relu6(x)),
    ("threshold", lambda m, x: m.nn.functional.threshold(x, 0.5, -3.0)),
    ("where", lambda m, x: m.where(x > 0, x, m.zeros_like(x))),
    ("masked_fill", lambda m, x: x.masked_fill(x <= 0, 7.0)),
]


@pytest.mark.parametrize("name, op", MASKED, ids=[name for name, _ in MASKED])
def test_an_inf_or_nan_gradient_at_a_masked_position_gives_zero(name: str, op) -> None:
    ours = npnn.tensor(X, requires_grad=True)
    theirs = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    op(npnn, ours).backward(npnn.tensor(UPSTREAM))
    op(torch, theirs).backward(torch.tensor(UPSTREAM, dtype=torch.float64))
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("norm_type", [math.inf, -math.inf, 1.0, 2.0, 3.5])
@pytest.mark.parametrize("dims", [1, 2])
def test_lp_pool_matches_torch_including_infinite_norms(norm_type: float, dims: int) -> None:
    x = np.random.default_rng(3).standard_normal((2, 3, 6) if dims == 1 else (2, 3, 6, 6))
    x[0, 0, :2] = 0.0  # a window of zeros: the root's slope is infinite there
    ours, theirs = npnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    pool, torch_pool = (F.lp_pool1d, TF.lp_pool1d) if dims == 1 else (F.lp_pool2d, TF.lp_pool2d)
    out, expected = pool(ours, norm_type, 2), torch_pool(theirs, norm_type, 2)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = np.random.default_rng(4).standard_normal(expected.shape)
    with np.errstate(invalid="ignore", divide="ignore"):  # the infinite slope meets the zeros
        out.backward(npnn.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)

