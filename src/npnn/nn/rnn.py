"""nn.RNN, nn.LSTM, nn.GRU: multi-layer, optionally bidirectional recurrent layers, as PyTorch's.

Parameters and state_dict keys are PyTorch's (weight_ih_l0, weight_hh_l0, bias_ih_l0,
bias_hh_l0, ..._reverse), so a torch state_dict loads unchanged. Each layer and direction
projects the whole sequence with one matmul before its time loop; the loop then runs a fused
recurrence op (npnn.ops.rnn_cell) that records one graph node for all time steps.
npnn differs from PyTorch in two things, which raise: LSTM's `proj_size` and PackedSequence
input (pad the batch and run the full length instead).
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from npnn import backend, ops
from npnn._tensor import Tensor
from npnn.nn.module import Module
from npnn.nn.parameter import Parameter
from npnn.nn.rnn_cells import check_state_dtype, uniform_hidden_init_
from npnn.ops.rnn_cell import run_layer

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """The shared constructor, checks and layer loop of RNN, LSTM and GRU."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None, *, generator: Any = None) -> None:
        super().__init__()
        _check_arguments(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size)
        if proj_size:
            raise NotImplementedError("LSTM: proj_size is not supported in npnn (PyTorch projects "
                                      "h with weight_hr); use proj_size=0 and a Linear after the LSTM")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        dtype = backend.resolve_float_dtype(dtype)
        rows = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            for direction in range(directions):
                columns = input_size if layer == 0 else hidden_size * directions
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (rows, columns)), ("weight_hh", (rows, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (rows,)), ("bias_hh", (rows,))]
                for name, shape in shapes:
                    setattr(self, name + suffix, Parameter(np.empty(shape, dtype=dtype)))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters(generator)
        if device is not None:
            self.to(device)

    def reset_parameters(self, generator: Any = None) -> None:
        uniform_hidden_init_(self, self.hidden_size, generator)

    def flatten_parameters(self) -> None:
        """Nothing to do: npnn keeps no cuDNN weight buffer (PyTorch's call, kept for scripts)."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        per = 4 if self.bias else 2
        weights = [getattr(self, name) for name in self._flat_weights_names]
        return [weights[i:i + per] for i in range(0, len(weights), per)]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text

    def _run(self, input: Tensor, states: list[Tensor | None]) -> tuple[Tensor, list[Tensor]]:
        """Run all layers on (seq, batch, features) input; `states` are the stacked initial
        states (h, and c for LSTM), (layers·directions, batch, hidden); returns the last layer's
        output and the stacked final states."""
        if isinstance(input, tuple) or type(input).__name__ == "PackedSequence":
            raise NotImplementedError(f"{type(self).__name__}: PackedSequence input is not supported "
                                      "in npnn; pass the padded (seq, batch, features) tensor "
                                      "(npnn.nn.utils.rnn.pad_sequence) and read each sequence's "
                                      "last real step from the output")
        if input.ndim not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{input.ndim}D tensor instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        weight_dtype = self.weight_ih_l0.dtype
        if input.dtype != weight_dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight_dtype}). Convert input: input.to({weight_dtype}), "
                             f"or convert model: model.to({input.dtype})")
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        if self.batch_first:
            input = input.transpose(0, 1)
        directions = 2 if self.bidirectional else 1
        expected = (self.num_layers * directions, input.shape[1], self.hidden_size)
        states = [_checked_state(s, expected, batched, input) for s in states]
        finals: list[list[Tensor]] = [[] for _ in states]
        layer_input = input
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                weights = [getattr(self, name + suffix, None)
                           for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
                output, last = run_layer(self.mode, layer_input, [s[index] for s in states],
                                         *weights, reverse=bool(direction))
                outputs.append(output)
                for kept, state in zip(finals, last, strict=True):
                    kept.append(state)
            layer_input = outputs[0] if directions == 1 else ops.cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = ops.dropout(layer_input, self.dropout, True)
        output = layer_input.transpose(0, 1) if self.batch_first else layer_input
        stacked = [ops.stack(kept, 0) for kept in finals]
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            stacked = [s.squeeze(1) for s in stacked]
        return output, stacked


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih.T + b_ih + h_{t-1} W_hh.T + b_hh), act 'tanh' or 'relu'.

    RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False); forward(input, hx=None) -> (output, h_n).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity, args = args[3], args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        output, (h_n,) = self._run(input, [hx])
        return output, h_n


class LSTM(RNNBase):
    """LSTM with gates i, f, g, o; forward(input, (h_0, c_0)=None) -> (output, (h_n, c_n)).

    proj_size > 0 is not supported by npnn and raises.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: Any = None, dtype: Any = None, *,
                 generator: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype, generator=generator)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        output, (h_n, c_n) = self._run(input, [None, None] if hx is None else list(hx))
        return output, (h_n, c_n)


class GRU(RNNBase):
    """GRU with gates r, z, n (PyTorch's formula); forward(input, hx=None) -> (output, h_n)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None, *, generator: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype, generator=generator)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        output, (h_n,) = self._run(input, [hx])
        return output, h_n


def _check_arguments(input_size: Any, hidden_size: Any, num_layers: int, bias: Any, batch_first: Any,
                     dropout: Any, proj_size: int) -> None:
    """PyTorch's constructor checks, with its messages."""
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the probability "
                         "of an element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero "
                      f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                      f"num_layers={num_layers}", stacklevel=3)
    for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                              ("input_size", input_size, int), ("hidden_size", hidden_size, int)):
        if not isinstance(value, kind):
            raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                        ("num_layers", num_layers)):
        if value <= 0:
            raise ValueError(f"{name} must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


def _checked_state(state: Tensor | None, expected: tuple[int, int, int], batched: bool,
                   input: Tensor) -> Tensor:
    """The initial state as (layers·directions, batch, hidden): zeros when None, else checked."""
    if state is None:
        xp = backend.get_array_module(input.array)
        return Tensor(xp.zeros(expected, dtype=input.array.dtype))
    check_state_dtype(state, input)
    if batched and state.ndim != 3:
        raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {state.ndim}-D tensor")
    if not batched:
        if state.ndim != 2:
            raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got "
                               f"{state.ndim}-D tensor")
        state = state.unsqueeze(1)
    if tuple(state.shape) != expected:
        raise RuntimeError(f"Expected hidden size {expected}, got {list(state.shape)}")
    return state

