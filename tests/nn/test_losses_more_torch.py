"""SmoothL1Loss, HuberLoss and KLDivLoss (and their functional forms) against PyTorch CPU: values
and gradients for input and target in every reduction, at random points and at the edges
(a difference of 0 or exactly ±beta/±delta, large differences, targets of 0), and reprs."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
import npnn.nn.functional as F
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

N, C = 6, 5


def differences_at_the_edges(rng, dtype, edge=1.0):
    """Pairs whose differences include 0, ±edge exactly and large values."""
    target = rng.standard_normal((N, C))
    diff = 3 * rng.standard_normal((N, C))
    diff.flat[:7] = [0.0, edge, -edge, 1e4, -1e4, 2 * edge, -0.5 * edge]
    return [(target + diff).astype(dtype), target.astype(dtype)]


def log_probs_and_probs(rng, dtype, zeros=True):
    logits = rng.standard_normal((N, C))
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    q = rng.uniform(0, 1, (N, C))
    if zeros:
        q[:2, :2] = 0.0  # 0 · log 0 counts as 0
    return [log_p.astype(dtype), (q / q.sum(1, keepdims=True)).astype(dtype)]


def log_probs_and_log_probs(rng, dtype):
    log_p, q = log_probs_and_probs(rng, dtype, zeros=False)
    return [log_p, np.log(q)]


# (id, class name, kwargs, inputs)
LOSSES = [
    ("smooth-l1", "SmoothL1Loss", {}, differences_at_the_edges),
    ("smooth-l1-beta", "SmoothL1Loss", {"beta": 0.5},
     lambda rng, dtype: differences_at_the_edges(rng, dtype, 0.5)),
    ("smooth-l1-beta0", "SmoothL1Loss", {"beta": 0.0}, differences_at_the_edges),
    ("huber", "HuberLoss", {}, differences_at_the_edges),
    ("huber-delta", "HuberLoss", {"delta": 2.0},
     lambda rng, dtype: differences_at_the_edges(rng, dtype, 2.0)),
    ("kl", "KLDivLoss", {}, log_probs_and_probs),
    ("kl-log-target", "KLDivLoss", {"log_target": True}, log_probs_and_log_probs),
]


@pytest.mark.parametrize("name, kwargs, make_inputs", [entry[1:] for entry in LOSSES],
                         ids=[entry[0] for entry in LOSSES])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")  # torch's KL
def test_loss_matches_torch(name, kwargs, make_inputs, reduction, dtype, rng, compare_with_torch) -> None:
    if reduction == "batchmean" and name != "KLDivLoss":
        with pytest.raises(ValueError, match="reduction"):
            getattr(nn, name)(reduction=reduction, **kwargs)
        return
    module = getattr(nn, name)(reduction=reduction, **kwargs)
    reference = getattr(torch.nn, name)(reduction=reduction, **kwargs)
    # the target's gradient too; KL's is nan where the target is 0, in both
    compare_with_torch(module, reference, make_inputs(rng, dtype), dtype, grad_inputs=(0, 1))


def test_kl_div_mean_averages_over_all_elements_and_batchmean_over_the_batch(rng) -> None:
    log_p, q = (npnn.tensor(a) for a in log_probs_and_probs(rng, np.float64))
    total = F.kl_div(log_p, q, reduction="sum").item()
    assert F.kl_div(log_p, q).item() == pytest.approx(total / (N * C))
    assert F.kl_div(log_p, q, reduction="batchmean").item() == pytest.approx(total / N)


FUNCTIONAL = [("smooth_l1_loss", {"beta": 0.3}), ("huber_loss", {"delta": 0.3}), ("kl_div", {})]


@pytest.mark.parametrize("function, kwargs", FUNCTIONAL)
def test_functional_forms_take_torch_keywords(function, kwargs, rng) -> None:
    x, y = (log_probs_and_probs(rng, np.float32) if function == "kl_div"
            else differences_at_the_edges(rng, np.float32, 0.3))
    ours = getattr(F, function)(npnn.tensor(x), npnn.tensor(y), reduction="sum", **kwargs)
    theirs = getattr(torch.nn.functional, function)(torch.tensor(x), torch.tensor(y), reduction="sum",
                                                    **kwargs)
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-5)


@pytest.mark.parametrize("name, kwargs", [("SmoothL1Loss", {}), ("HuberLoss", {}), ("KLDivLoss", {}),
                                          ("KLDivLoss", {"log_target": True})])
def test_default_repr_matches_torch(name, kwargs) -> None:
    assert repr(getattr(nn, name)(**kwargs)) == repr(getattr(torch.nn, name)(**kwargs))


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.KLDivLoss(reduction="average")
    with pytest.raises(ValueError, match="beta must be non-negative"):
        F.smooth_l1_loss(npnn.ones(2), npnn.ones(2), beta=-1.0)
    with pytest.raises(ValueError, match="delta must be positive"):
        F.huber_loss(npnn.ones(2), npnn.ones(2), delta=0.0)
    with pytest.raises(ValueError, match="shape"):
        F.kl_div(npnn.ones(2, 3), npnn.ones(3))


def test_kl_div_of_a_negative_target_is_nan_as_torch() -> None:
    """xlogy of a negative target is nan in PyTorch; npnn returned a finite loss (review)."""
    log_p, q = np.log(np.array([[0.2, 0.3, 0.5]])), np.array([[0.5, -0.1, 0.6]])
    mine = F.kl_div(npnn.tensor(log_p), npnn.tensor(q), reduction="sum")
    theirs = torch.nn.functional.kl_div(torch.tensor(log_p), torch.tensor(q), reduction="sum")
    assert np.isnan(mine.item()) and np.isnan(theirs.item())
