"""nn.RNNCell, LSTMCell, GRUCell: one time step, with PyTorch's parameters, init and gate order.

A step is the fused recurrence of nn.RNN/LSTM/GRU (npnn.ops.rnn_cell.run_layer) run for one
time step: a few graph nodes per call, not one per gate operation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor
from npnn.nn import init
from npnn.nn.module import Module
from npnn.nn.parameter import Parameter
from npnn.ops.rnn_cell import run_layer


def uniform_hidden_init_(module: Module, hidden_size: int, generator: Any = None) -> None:
    """PyTorch's init of recurrent layers: every parameter U(-1/√hidden, 1/√hidden)."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound, generator=generator)


class RNNCellBase(Module):
    """weight_ih (chunks·hidden, input), weight_hh (chunks·hidden, hidden), bias_ih, bias_hh."""

    num_chunks = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None, *, generator: Any = None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dtype = backend.resolve_float_dtype(dtype)
        rows = self.num_chunks * hidden_size
        self.weight_ih = Parameter(np.empty((rows, input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((rows, hidden_size), dtype=dtype))
        for name in ("bias_ih", "bias_hh"):
            self.register_parameter(name, Parameter(np.empty(rows, dtype=dtype)) if bias else None)
        self.reset_parameters(generator)
        if device is not None:
            self.to(device)

    def reset_parameters(self, generator: Any = None) -> None:
        uniform_hidden_init_(self, self.hidden_size, generator)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def _batched(self, input: Tensor, hx: Tensor | None) -> tuple[Tensor, Tensor | None, bool]:
        """(batch, features) input and state; a 1-D input is one unbatched sample, as PyTorch."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if hx is not None and hx.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.ndim}D instead")
        if hx is not None:
            check_state_dtype(hx, input)
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
            hx = None if hx is None else hx.unsqueeze(0)
        return input, hx, batched

    def _step(self, mode: str, input: Tensor, states: list[Tensor]) -> list[Tensor]:
        """The states after one step of the fused recurrence on (batch, input_size) input."""
        _, last = run_layer(mode, input.unsqueeze(0), states, self.weight_ih, self.weight_hh,
                            self.bias_ih, self.bias_hh)
        return last

    def _zeros(self, input: Tensor) -> Tensor:
        xp = backend.get_array_module(input.array)
        return Tensor(xp.zeros((input.shape[0], self.hidden_size), dtype=input.array.dtype))


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih.T + b_ih + h W_hh.T + b_hh) (or relu); h defaults to zeros."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: Any = None, dtype: Any = None, *, generator: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity!r}; use 'tanh' or 'relu'")
        super().__init__(input_size, hidden_size, bias, device, dtype, generator=generator)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, hx, batched = self._batched(input, hx)
        h = self._zeros(input) if hx is None else hx
        (out,) = self._step("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", input, [h])
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """(h', c') from gates i, f, g, o; hx = (h, c) defaults to zeros."""

    num_chunks = 4

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        input, h, batched = self._batched(input, None if hx is None else hx[0])
        if hx is None:
            h = c = self._zeros(input)
        else:
            check_state_dtype(hx[1], input)
            c = hx[1] if batched else hx[1].unsqueeze(0)
        h, c = self._step("LSTM", input, [h, c])
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """h' = (1 - z) n + z h from gates r, z, n (PyTorch's formula); h defaults to zeros."""

    num_chunks = 3

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, hx, batched = self._batched(input, hx)
        h = self._zeros(input) if hx is None else hx
        (out,) = self._step("GRU", input, [h])
        return out if batched else out.squeeze(0)


def check_state_dtype(state: Tensor, input: Tensor) -> None:
    """As PyTorch, a state of another dtype than the input is an error (a float64 h0 made with
    np.zeros would otherwise run a float32 model's recurrence in float64)."""
    if state.dtype != input.dtype:
        raise RuntimeError(f"the hidden state's dtype ({state.dtype}) differs from the input's "
                           f"({input.dtype}): make it with the input's dtype, e.g. "
                           f"h0 = npnn.zeros(..., dtype={input.dtype}) or h0.to({input.dtype})")
