"""`out=` on matmul and mul: the result written into a given tensor, as PyTorch's."""

from __future__ import annotations

import re

import numpy as np
import pytest

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU is the reference for out=")

OPS = ["matmul", "mul"]
NO_AUTOGRAD = re.escape("out=... arguments don't support automatic differentiation")


@pytest.mark.parametrize("op", OPS)
def test_out_receives_torchs_result_and_is_returned(op: str) -> None:
    a = np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32)
    out = npnn.zeros(3, 3)
    result = getattr(npnn, op)(npnn.tensor(a), npnn.tensor(a).T, out=out)
    expected = torch.zeros(3, 3)
    getattr(torch, op)(torch.from_numpy(a), torch.from_numpy(a).T, out=expected)
    assert result is out
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("op", OPS)
def test_out_refuses_inputs_that_require_grad_as_torch(op: str) -> None:
    with pytest.raises(RuntimeError, match=NO_AUTOGRAD):
        getattr(torch, op)(torch.ones(2, 2, requires_grad=True), torch.ones(2, 2), out=torch.zeros(2, 2))
    with pytest.raises(RuntimeError, match=NO_AUTOGRAD):
        getattr(npnn, op)(npnn.ones(2, 2, requires_grad=True), npnn.ones(2, 2), out=npnn.zeros(2, 2))


def test_out_of_another_shape_is_refused_not_resized() -> None:
    with pytest.raises(RuntimeError,
                       match=r"out= has shape \(3,\) but the result has shape \(2,\); npnn does not resize"):
        npnn.mul(npnn.ones(2), npnn.ones(2), out=npnn.zeros(3))


def test_eye_takes_requires_grad_as_torch() -> None:
    ours, theirs = npnn.eye(4, 5, requires_grad=True), torch.eye(4, 5, requires_grad=True)
    assert ours.requires_grad == theirs.requires_grad and ours.is_leaf == theirs.is_leaf
    assert not npnn.eye(2).requires_grad
