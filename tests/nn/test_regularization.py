"""nn.regularization: L1/L2 penalty values, gradients, bias handling and argument checks."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.nn import regularization as reg


def make_model() -> nn.Sequential:
    npnn.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.ReLU(), nn.Linear(4, 2, dtype=np.float64))


def expected_penalty(model: nn.Module, kind: str, include_bias: bool) -> float:
    arrays = [p.array for name, p in model.named_parameters() if include_bias or not name.endswith("bias")]
    if kind == "l1":
        return sum(np.abs(a).sum() for a in arrays)
    return sum((a * a).sum() for a in arrays)


def expected_grad(kind: str, weight: np.ndarray, strength: float) -> np.ndarray:
    return 2 * strength * weight if kind == "l2" else strength * np.sign(weight)


CASES = [("l2", reg.l2_penalty), ("l1", reg.l1_penalty)]


@pytest.mark.parametrize("kind, function", CASES, ids=["l2", "l1"])
@pytest.mark.parametrize("include_bias", [False, True], ids=["weights", "with-bias"])
def test_penalty_value_and_gradient(kind, function, include_bias) -> None:
    model = make_model()
    strength = 0.03
    for value in (function(model, strength, include_bias=include_bias),
                  reg.penalty(model, kind, strength, include_bias=include_bias)):
        model.zero_grad()
        assert float(value.array) == pytest.approx(strength * expected_penalty(model, kind, include_bias),
                                                  rel=1e-12)
        value.backward()
        for name, param in model.named_parameters():
            if name.endswith("bias") and not include_bias:
                assert param.grad is None
            else:
                np.testing.assert_allclose(param.grad, expected_grad(kind, param.array, strength),
                                           rtol=1e-12)


def test_penalty_adds_to_a_loss() -> None:
    model = make_model()
    x = npnn.randn(5, 3, dtype=np.float64)
    loss = model(x).sum()
    loss.backward()
    data_grad = model[0].weight.grad.clone()
    model.zero_grad()
    (model(x).sum() + reg.l2_penalty(model, 0.5)).backward()
    np.testing.assert_allclose(model[0].weight.grad, data_grad + model[0].weight.array, rtol=1e-12)


def test_shared_weights_are_penalized_once() -> None:
    model = make_model()
    tied = nn.Sequential(model[0], model[0])
    assert float(reg.l2_penalty(tied, 1.0).array) == pytest.approx((model[0].weight.array ** 2).sum())


def test_penalty_none_is_zero_and_keeps_the_loss_differentiable() -> None:
    model = make_model()
    zero = reg.penalty(model, "none", 0.1)
    assert float(zero.array) == 0.0
    loss = model(npnn.randn(2, 3, dtype=np.float64)).sum() + zero
    loss.backward()
    assert model[0].weight.grad is not None


def test_zero_strength_gives_zero() -> None:
    assert float(reg.penalty(make_model(), "l2", 0.0).array) == 0.0


@pytest.mark.parametrize("kind, strength, match", [
    ("l3", 0.1, r"one of \('none', 'l1', 'l2'\).*'l3'"),
    ("L2", 0.1, "'L2'"),
    ("l2", -0.1, "strength must be >= 0, got -0.1"),
    ("l1", -1.0, "strength must be >= 0"),
])
def test_bad_kind_or_negative_strength_raise(kind: str, strength: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        reg.penalty(make_model(), kind, strength)


def test_module_without_weights_gives_zero() -> None:
    assert float(reg.l2_penalty(nn.ReLU(), 1.0).array) == 0.0
