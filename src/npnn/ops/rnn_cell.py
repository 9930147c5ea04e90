"""Recurrent steps: the cell arithmetic of RNN, LSTM and GRU, composed from primitives, and
`run_layer`, which runs one layer and direction over a sequence with a fused op.

The step functions take the input already projected, `gi = x @ W_ih.T + b_ih`: a layer
projects all time steps with one matmul before its loop. The fused ops (ops/rnn_fused.py)
run the whole loop in one graph node with a hand-written backpropagation through time (the
layers and the cells use them); the composed steps are the plain reference they are tested against.
"""

from __future__ import annotations

from npnn._tensor import Tensor
from npnn.ops.activation import relu, sigmoid, tanh
from npnn.ops.linalg import linear
from npnn.ops.rnn_fused import GRULayer, LSTMLayer, RNNLayer
from npnn.ops.shape import chunk, getitem, stack


def rnn_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, nonlinearity: str) -> Tensor:
    """h' = act(gi + h @ W_hh.T + b_hh), act tanh or relu."""
    pre = gi + linear(h, w_hh, b_hh)
    return tanh(pre) if nonlinearity == "tanh" else relu(pre)


def lstm_step(gi: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor | None
              ) -> tuple[Tensor, Tensor]:
    """Gates i, f, g, o (PyTorch's order): c' = σ(f)c + σ(i)tanh(g), h' = σ(o)tanh(c')."""
    i, f, g, o = chunk(gi + linear(h, w_hh, b_hh), 4, -1)
    c_next = sigmoid(f) * c + sigmoid(i) * tanh(g)
    return sigmoid(o) * tanh(c_next), c_next


def gru_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    """Gates r, z, n (PyTorch's order and formula): n = tanh(gi_n + r * (W_hn h + b_hn)),
    h' = (1 - z) n + z h, computed as n + z (h - n) as PyTorch's CPU kernel."""
    i_r, i_z, i_n = chunk(gi, 3, -1)
    h_r, h_z, h_n = chunk(linear(h, w_hh, b_hh), 3, -1)
    r, z = sigmoid(i_r + h_r), sigmoid(i_z + h_z)
    n = tanh(i_n + r * h_n)
    return n + z * (h - n)


def run_layer(mode: str, input: Tensor, states: list[Tensor], w_ih: Tensor, w_hh: Tensor,
              b_ih: Tensor | None, b_hh: Tensor | None, reverse: bool = False, fused: bool = True
              ) -> tuple[Tensor, list[Tensor]]:
    """One layer and direction over (seq, batch, features) input from initial `states` ([h] or
    [h, c], each (batch, hidden)): the outputs (seq, batch, hidden) in time order and the final
    states. `fused=False` runs the composed steps (a graph of ~15 nodes per step)."""
    gi = linear(input, w_ih, b_ih)
    if not fused:
        return _run_steps(mode, gi, states, w_hh, b_hh, reverse)
    steps = input.shape[0]
    bias = () if b_hh is None else (b_hh,)
    last = 0 if reverse else steps - 1
    if mode == "LSTM":
        packed = LSTMLayer.apply(gi, states[0], states[1], w_hh, *bias, reverse=reverse)
        return getitem(packed, slice(0, steps)), [getitem(packed, last), getitem(packed, steps)]
    if mode == "GRU":
        output = GRULayer.apply(gi, states[0], w_hh, *bias, reverse=reverse)
    else:
        output = RNNLayer.apply(gi, states[0], w_hh, *bias, reverse=reverse,
                                relu=mode == "RNN_RELU")
    return output, [getitem(output, last)]


def _run_steps(mode: str, gi: Tensor, states: list[Tensor], w_hh: Tensor, b_hh: Tensor | None,
               reverse: bool) -> tuple[Tensor, list[Tensor]]:
    order = range(gi.shape[0] - 1, -1, -1) if reverse else range(gi.shape[0])
    outputs: list[Tensor] = [None] * gi.shape[0]  # type: ignore[list-item]
    states = list(states)
    for t in order:
        step_input = getitem(gi, t)
        if mode == "LSTM":
            states = list(lstm_step(step_input, states[0], states[1], w_hh, b_hh))
        elif mode == "GRU":
            states = [gru_step(step_input, states[0], w_hh, b_hh)]
        else:
            states = [rnn_step(step_input, states[0], w_hh, b_hh, "relu" if mode == "RNN_RELU" else "tanh")]
        outputs[t] = states[0]
    return stack(outputs, 0), states
