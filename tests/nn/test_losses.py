"""Loss modules without a reference: argument checks, ignored targets, state_dict of weights."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn


def test_ignored_targets_get_zero_gradient(rng: np.random.Generator) -> None:
    labels = rng.integers(0, 4, 6)
    labels[:3] = -100
    logits = npnn.tensor(rng.standard_normal((6, 4)), requires_grad=True)
    nn.CrossEntropyLoss()(logits, npnn.tensor(labels)).backward()
    assert not logits.grad[:3].any() and logits.grad[3:].any()


@pytest.mark.parametrize("loss", [nn.MSELoss, nn.L1Loss, nn.CrossEntropyLoss, nn.NLLLoss, nn.BCELoss,
                                  nn.BCEWithLogitsLoss])
@pytest.mark.parametrize("reduction", ["avg", "batchmean"])
def test_bad_reduction_is_rejected(loss: type, reduction: str) -> None:
    with pytest.raises(ValueError, match="reduction must be"):
        loss(reduction=reduction)


def test_mse_reductions(rng: np.random.Generator) -> None:
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    squares = (x - y) ** 2
    for reduction, expected in [("mean", squares.mean()), ("sum", squares.sum()), ("none", squares)]:
        out = nn.MSELoss(reduction=reduction)(npnn.tensor(x), npnn.tensor(y))
        np.testing.assert_allclose(out.array, expected, rtol=1e-12)


def test_class_weight_and_pos_weight_are_buffers() -> None:
    weight = np.array([1.0, 2.0], dtype=np.float32)
    assert list(nn.CrossEntropyLoss(weight=weight).state_dict()) == ["weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=weight).state_dict()) == ["pos_weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert nn.CrossEntropyLoss(weight=weight).double().weight.dtype == np.float64
