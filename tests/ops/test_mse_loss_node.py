"""mse_loss is one graph node (as PyTorch's MseLossBackward0), with PyTorch's values and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
import npnn.nn.functional as F


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_values_and_both_gradients_match_torch(reduction: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch CPU is the reference")
    rng = np.random.default_rng(0)
    x, y, g = (rng.standard_normal((3, 4)).astype(np.float32) for _ in range(3))
    ours_x, ours_y = npnn.tensor(x, requires_grad=True), npnn.tensor(y, requires_grad=True)
    theirs_x, theirs_y = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    ours = F.mse_loss(ours_x, ours_y, reduction=reduction)
    theirs = torch.nn.functional.mse_loss(theirs_x, theirs_y, reduction=reduction)
    assert ours.grad_fn.name == "MseLoss" and ours.dtype == np.float32
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
    grad = g if reduction == "none" else np.float32(0.7)
    ours.backward(npnn.tensor(grad))
    theirs.backward(torch.tensor(grad))
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours_y.grad.numpy(), theirs_y.grad.numpy(), rtol=1e-6)


def test_mse_loss_gives_no_gradient_to_a_target_without_grad() -> None:
    x = npnn.ones(2, 2, requires_grad=True)
    target = npnn.zeros(2, 2)
    F.mse_loss(x, target).backward()
    assert target.grad is None
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 2), 0.5))  # 2 * (1 - 0) / 4
