"""`grad_fn.next_functions` walks the graph as PyTorch's ("Neural Networks" tutorial)."""

from __future__ import annotations

import pytest

import npnn
from npnn import nn
from npnn.autograd.function import AccumulateGrad


def test_next_functions_lead_from_the_loss_to_the_layers_and_leaves() -> None:
    linear = nn.Linear(3, 2)
    x, target = npnn.randn(4, 3), npnn.randn(4, 2)
    loss = nn.MSELoss()(npnn.relu(linear(x)), target)
    assert type(loss.grad_fn).__name__ == "MseLoss"  # one node for the loss, as PyTorch's
    (relu, index), (no_grad, _) = loss.grad_fn.next_functions
    assert index == 0 and no_grad is None  # the target needs no grad
    assert relu.name == "ReLU" and relu.next_functions[0][0].name == "Linear"
    ends = [node for node, _ in relu.next_functions[0][0].next_functions if node is not None]
    assert all(isinstance(node, AccumulateGrad) for node in ends)
    assert {id(node.variable) for node in ends} == {id(linear.weight), id(linear.bias)}
    assert ends[0].next_functions == () and repr(ends[0]).startswith("<AccumulateGrad object at 0x")


def test_next_functions_after_backward_freed_the_graph() -> None:
    a = npnn.ones(2, requires_grad=True)
    y = (a * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="walk its next_functions through the graph a second time"):
        _ = y.grad_fn.next_functions


def test_next_functions_match_torchs_shape() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch CPU is the reference")
    a, b = torch.ones(2, requires_grad=True), torch.ones(2)
    ours_a, ours_b = npnn.ones(2, requires_grad=True), npnn.ones(2)
    theirs, ours = (a * b + a).grad_fn.next_functions, (ours_a * ours_b + ours_a).grad_fn.next_functions
    assert [index for _, index in ours] == [index for _, index in theirs]
    assert [type(node).__name__ for node, _ in ours] == ["Mul", "AccumulateGrad"]
    assert [type(node).__name__ for node, _ in theirs] == ["MulBackward0", "AccumulateGrad"]
    assert ours[0][0].next_functions[1] == (None, 0) and theirs[0][0].next_functions[1] == (None, 0)
