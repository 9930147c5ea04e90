"""nn.functional composites: one_hot's validation (as torch's), and the graph shape of the
fused losses and penalties (one node where one is promised)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.nn import functional as F
from npnn.nn import regularization

# (id, indices, num_classes, error, message fragment)
ONE_HOT_ERRORS = [
    ("negative", [-1], 3, ValueError, "non-negative"),
    ("negative_inferred", [0, -2], -1, ValueError, "non-negative"),
    ("too_big", [0, 3], 3, ValueError, "num_classes=3"),
    ("empty_inferred", [], -1, ValueError, "empty"),
    ("float", [0.0, 1.0], 3, TypeError, ".long()"),
]


@pytest.mark.parametrize(("indices", "num_classes", "error", "fragment"),
                         [e[1:] for e in ONE_HOT_ERRORS], ids=[e[0] for e in ONE_HOT_ERRORS])
def test_one_hot_rejects_what_torch_rejects(indices, num_classes, error, fragment) -> None:
    values = npnn.tensor(np.array(indices, dtype=np.float32 if error is TypeError else np.int64))
    with pytest.raises(error, match=re.escape(fragment)):
        F.one_hot(values, num_classes)
    torch = pytest.importorskip("torch", reason="PyTorch CPU not installed")
    with pytest.raises(RuntimeError):
        torch.nn.functional.one_hot(torch.from_numpy(np.asarray(values.numpy())), num_classes)


@pytest.mark.parametrize(("indices", "num_classes"), [([2, 0, 1], -1), ([0, 1], 4), ([], 3)])
def test_one_hot_values(indices, num_classes) -> None:
    out = F.one_hot(npnn.tensor(np.array(indices, dtype=np.int64)), num_classes)
    classes = max(indices) + 1 if num_classes < 0 else num_classes
    np.testing.assert_array_equal(out.numpy(), np.eye(classes, dtype=np.int64)[indices])
    assert out.dtype == np.int64


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_class_losses_are_one_node(loss, reduction) -> None:
    logits = npnn.randn(8, 5, requires_grad=True)
    out = loss(logits, npnn.randint(5, (8,)), reduction=reduction)
    assert out.grad_fn.name == "CrossEntropy"  # the divisor is folded in: no Sum/Div nodes
    assert out.grad_fn.inputs == (logits,)


def test_l2_penalty_is_one_fused_node_per_weight() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    penalty = regularization.l2_penalty(model, 0.5)
    nodes, stack = [], [penalty.grad_fn]
    while stack:
        node = stack.pop()
        nodes.append(node.name)
        stack.extend(t.grad_fn for t in node.inputs if t.grad_fn is not None)
    assert nodes.count("SumOfSquares") == 2 and "Pow" not in nodes and "Mul" in nodes
    penalty.backward()
    np.testing.assert_allclose(model[0].weight.grad, 2 * 0.5 * model[0].weight.data, rtol=1e-6)
    assert model[0].bias.grad is None
