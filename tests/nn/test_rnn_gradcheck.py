"""The fused recurrences (ops/rnn_fused.py) by float64 finite differences, and equal to the
composed per-step graph they replace; the cells' composed steps by finite differences too."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.autograd.gradcheck import gradcheck
from npnn.ops.rnn_cell import run_layer

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def layer_inputs(mode: str, bias: bool, seq: int = 4, batch: int = 2, size: int = 3, hidden: int = 3):
    rng = np.random.default_rng(0)
    rows = GATES[mode] * hidden

    def leaf(*shape):
        return npnn.tensor(rng.standard_normal(shape) * 0.7, requires_grad=True)

    x = leaf(seq, batch, size)
    states = [leaf(batch, hidden) for _ in range(2 if mode == "LSTM" else 1)]
    weights = [leaf(rows, size), leaf(rows, hidden)] + ([leaf(rows), leaf(rows)] if bias else [None, None])
    return x, states, weights


def outputs_as_one(mode, reverse, fused, count):
    """run_layer as a function of its tensors, with output and final states concatenated."""
    def run(x, *rest):
        states, weights = list(rest[:count]), list(rest[count:]) + [None] * (4 - len(rest[count:]))
        output, last = run_layer(mode, x, states, *weights, reverse=reverse, fused=fused)
        return npnn.cat([output.reshape(-1)] + [s.reshape(-1) for s in last])
    return run


@pytest.mark.parametrize("mode", ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_fused_layer_gradcheck_and_equals_composed_steps(mode, reverse, bias) -> None:
    x, states, weights = layer_inputs(mode, bias)
    tensors = [x, *states, *[w for w in weights if w is not None]]
    fused = outputs_as_one(mode, reverse, True, len(states))
    composed = outputs_as_one(mode, reverse, False, len(states))
    assert gradcheck(fused, tensors)
    np.testing.assert_allclose(fused(*tensors).numpy(), composed(*tensors).numpy(), rtol=1e-12, atol=1e-12)
    weighting = npnn.tensor(np.random.default_rng(2).standard_normal(fused(*tensors).shape))
    grads = []
    for run in (fused, composed):
        for t in tensors:
            t.grad = None
        (run(*tensors) * weighting).sum().backward()
        grads.append([t.grad.numpy() for t in tensors])
    for a, b in zip(*grads, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cell", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_cell_gradcheck(cell) -> None:
    module = cell(3, 4, dtype=np.float64)
    rng = np.random.default_rng(0)
    x = npnn.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    h = npnn.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    params = list(module.parameters())

    def run(x, h, *_):
        out = module(x, (h, h * 0.5) if cell is nn.LSTMCell else h)
        return npnn.cat(list(out), -1) if isinstance(out, tuple) else out

    assert gradcheck(run, [x, h, *params])


def test_one_graph_node_per_layer_and_direction() -> None:
    """A 28-step LSTM records a handful of nodes, not hundreds."""
    lstm = nn.LSTM(5, 4)
    output, (h, c) = lstm(npnn.randn(28, 2, 5))
    seen, stack = set(), [output.grad_fn, h.grad_fn, c.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and id(node) not in seen:
            seen.add(id(node))
            stack += node.parents
    assert len(seen) < 8
