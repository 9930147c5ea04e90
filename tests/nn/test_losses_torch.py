"""Loss modules against PyTorch CPU: values and input gradients for every reduction."""

from __future__ import annotations

import numpy as np
import pytest

from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

N, C, L = 6, 4, 3
CLASS_WEIGHT = np.array([0.5, 2.0, 1.0, 1.5])


def _log_softmax(x: np.ndarray, axis: int = 1) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def log_probs_and_labels(rng, dtype):
    labels = rng.integers(0, C, N)
    labels[:2] = [0, 1]
    return [_log_softmax(rng.standard_normal((N, C))).astype(dtype), labels]


def logits_and_labels(rng, dtype):
    return [3 * rng.standard_normal((N, C)).astype(dtype), rng.integers(0, C, N)]


def logits_and_labels_nd(rng, dtype):
    return [rng.standard_normal((N, C, L)).astype(dtype), rng.integers(0, C, (N, L))]


def logits_and_probabilities(rng, dtype):
    return [rng.standard_normal((N, C)).astype(dtype),
            np.exp(_log_softmax(rng.standard_normal((N, C)))).astype(dtype)]


def pair(rng, dtype):
    return [rng.standard_normal((N, C)).astype(dtype), rng.standard_normal((N, C)).astype(dtype)]


def probabilities_and_binary_targets(rng, dtype):
    return [rng.uniform(0.05, 0.95, (N, C)).astype(dtype),
            rng.integers(0, 2, (N, C)).astype(dtype)]


def logits_and_soft_targets(rng, dtype):
    return [4 * rng.standard_normal((N, C)).astype(dtype), rng.uniform(0, 1, (N, C)).astype(dtype)]


# (id, class name, constructor kwargs, inputs); float arrays in kwargs take the test's dtype
LOSSES = [
    ("nll", "NLLLoss", {}, log_probs_and_labels),
    ("nll-weight", "NLLLoss", {"weight": CLASS_WEIGHT}, log_probs_and_labels),
    ("nll-ignore", "NLLLoss", {"ignore_index": 1}, log_probs_and_labels),
    ("nll-weight-ignore", "NLLLoss", {"weight": CLASS_WEIGHT, "ignore_index": 0}, log_probs_and_labels),
    ("ce", "CrossEntropyLoss", {}, logits_and_labels),
    ("ce-weight", "CrossEntropyLoss", {"weight": CLASS_WEIGHT}, logits_and_labels),
    ("ce-ignore", "CrossEntropyLoss", {"ignore_index": 2}, logits_and_labels),
    ("ce-smoothing", "CrossEntropyLoss", {"label_smoothing": 0.1}, logits_and_labels),
    ("ce-all", "CrossEntropyLoss", {"weight": CLASS_WEIGHT, "ignore_index": 2, "label_smoothing": 0.2},
     logits_and_labels),
    ("ce-nd", "CrossEntropyLoss", {"weight": CLASS_WEIGHT}, logits_and_labels_nd),
    ("ce-probs", "CrossEntropyLoss", {}, logits_and_probabilities),
    ("ce-probs-weight-smoothing", "CrossEntropyLoss", {"weight": CLASS_WEIGHT, "label_smoothing": 0.3},
     logits_and_probabilities),
    ("mse", "MSELoss", {}, pair),
    ("l1", "L1Loss", {}, pair),
    ("bce", "BCELoss", {}, probabilities_and_binary_targets),
    ("bce-weight", "BCELoss", {"weight": CLASS_WEIGHT}, probabilities_and_binary_targets),
    ("bce-logits", "BCEWithLogitsLoss", {}, logits_and_soft_targets),
    ("bce-logits-pos-weight", "BCEWithLogitsLoss", {"pos_weight": CLASS_WEIGHT}, logits_and_soft_targets),
    ("bce-logits-weight-pos-weight", "BCEWithLogitsLoss",
     {"weight": CLASS_WEIGHT[::-1].copy(), "pos_weight": CLASS_WEIGHT}, logits_and_soft_targets),
]


@pytest.mark.parametrize("name, kwargs, make_inputs", [entry[1:] for entry in LOSSES],
                         ids=[entry[0] for entry in LOSSES])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_matches_torch(name, kwargs, make_inputs, reduction, dtype, rng, compare_with_torch) -> None:
    np_kwargs = {k: v.astype(dtype) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    torch_kwargs = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v
                    for k, v in np_kwargs.items()}
    module = getattr(nn, name)(reduction=reduction, **np_kwargs)
    reference = getattr(torch.nn, name)(reduction=reduction, **torch_kwargs)
    assert list(module.state_dict()) == list(reference.state_dict())
    compare_with_torch(module, reference, make_inputs(rng, dtype), dtype)

