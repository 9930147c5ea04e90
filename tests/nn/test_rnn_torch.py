"""nn.RNN/LSTM/GRU and their cells against PyTorch: torch's state_dict loaded into npnn's module,
then outputs, final states and the gradients of the input, the initial states and every
parameter compared (float64 tight, float32 to 1e-5)."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
import layer_torch_compare as torch_compare  # noqa: E402  (after the torch check)


def pair(name: str, dtype: np.dtype, *args, **kwargs):
    """The same layer from torch and npnn (npnn's loaded from torch's), with the same repr."""
    ours, theirs = torch_compare.pair(getattr(nn, name), getattr(torch.nn, name), dtype, *args, **kwargs)
    assert repr(ours) == repr(theirs)
    return ours, theirs


def compare(ours, theirs, arrays, dtype, call=lambda m, s: m(*s)):
    torch_compare.compare(ours, theirs, arrays, dtype, call)


def states_for(mode, shape, rng, dtype):
    count = 2 if mode == "LSTM" else 1
    return [rng.standard_normal(shape).astype(dtype) for _ in range(count)]


@pytest.mark.parametrize("mode,kwargs", [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu", "num_layers": 2}), ("LSTM", {}),
    ("GRU", {}), ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("RNN", {"bidirectional": True, "bias": False}), ("LSTM", {"bias": False, "batch_first": True}),
])
def test_recurrent_layer_matches_torch(mode, kwargs, dtype) -> None:
    ours, theirs = pair(mode, dtype, 5, 4, **kwargs)
    rng = np.random.default_rng(0)
    seq, batch = 6, 3
    shape = (batch, seq, 5) if kwargs.get("batch_first") else (seq, batch, 5)
    x = rng.standard_normal(shape).astype(dtype)
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    states = states_for(mode, (layers, batch, 4), rng, dtype)
    hidden = (lambda s: [tuple(s)]) if mode == "LSTM" else (lambda s: s)
    compare(ours, theirs, [x, *states], dtype, lambda m, s: m(s[0], *hidden(s[1:])))
    compare(ours, theirs, [x], dtype)  # zero initial states


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_unbatched_input_matches_torch(mode, dtype) -> None:
    ours, theirs = pair(mode, dtype, 3, 4, num_layers=2)
    rng = np.random.default_rng(0)
    states = states_for(mode, (2, 4), rng, dtype)
    hidden = (lambda s: [tuple(s)]) if mode == "LSTM" else (lambda s: s)
    compare(ours, theirs, [rng.standard_normal((5, 3)).astype(dtype), *states], dtype,
            lambda m, s: m(s[0], *hidden(s[1:])))


@pytest.mark.parametrize("name,kwargs", [
    ("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu", "bias": False}), ("LSTMCell", {}),
    ("GRUCell", {}), ("GRUCell", {"bias": False}),
])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(name, kwargs, batched, dtype) -> None:
    ours, theirs = pair(name, dtype, 5, 4, **kwargs)
    rng = np.random.default_rng(0)
    lead = (3,) if batched else ()
    x = rng.standard_normal((*lead, 5)).astype(dtype)
    states = states_for("LSTM" if name == "LSTMCell" else "", (*lead, 4), rng, dtype)
    hidden = (lambda s: [tuple(s)]) if name == "LSTMCell" else (lambda s: s)
    compare(ours, theirs, [x, *states], dtype, lambda m, s: m(s[0], *hidden(s[1:])))
    compare(ours, theirs, [x], dtype)


def test_default_init_is_uniform_within_one_over_sqrt_hidden() -> None:
    lstm = nn.LSTM(3, 16, num_layers=2)
    values = np.concatenate([p.numpy().ravel() for p in lstm.parameters()])
    assert np.abs(values).max() <= 0.25 and np.abs(values).max() > 0.24
    assert abs(values.mean()) < 0.02 and abs(values.std() - 0.25 / np.sqrt(3)) < 0.01


def test_dropout_between_layers_only_in_training() -> None:
    lstm = nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    x = npnn.randn(4, 2, 3)
    lstm.eval()
    first, second = lstm(x)[0].numpy(), lstm(x)[0].numpy()
    np.testing.assert_array_equal(first, second)
    lstm.train()
    assert not np.allclose(lstm(x)[0].numpy(), first)
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(3, 8, dropout=0.2)


def test_refusals_name_the_difference() -> None:
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(3, 8, proj_size=4)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        nn.RNN(3, 8, proj_size=2)
    with pytest.raises(RuntimeError, match="Expected 3, got 5"):
        nn.GRU(3, 8)(npnn.randn(4, 2, 5))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 8\), got \[1, 3, 8\]"):
        nn.RNN(3, 8)(npnn.randn(4, 2, 3), npnn.randn(1, 3, 8))
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.randn(4, 2, 3), [4, 2])
    with pytest.raises(NotImplementedError, match="PackedSequence"):
        nn.LSTM(3, 8)(packed)


@pytest.mark.parametrize("batch_first,side", [(False, "right"), (True, "left")])
def test_pad_sequence_matches_torch(batch_first, side) -> None:
    arrays = [np.random.default_rng(i).standard_normal((n, 3)) for i, n in enumerate((4, 2, 5))]
    ours = nn.utils.rnn.pad_sequence([npnn.tensor(a) for a in arrays], batch_first, -1.0, side)
    theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor(a) for a in arrays], batch_first, -1.0, side)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(NotImplementedError, match="pad_sequence"):
        nn.utils.rnn.pack_padded_sequence(ours, [5, 4, 2], batch_first)


@pytest.mark.parametrize("make", [
    lambda: (nn.LSTM(3, 4), (2, 1, 3), lambda h: (h, h)),
    lambda: (nn.GRU(3, 4), (2, 1, 3), lambda h: h),
    lambda: (nn.RNN(3, 4), (2, 1, 3), lambda h: h),
])
def test_a_state_of_another_dtype_than_the_input_is_refused(make):
    """As torch: a float64 h0 (np.zeros) for a float32 model is an error, not a float64 run."""
    module, shape, state = make()
    h0 = npnn.tensor(np.zeros((1, 1, 4)))  # float64
    with pytest.raises(RuntimeError, match="hidden state's dtype"):
        module(npnn.randn(*shape), state(h0))


@pytest.mark.parametrize("cell, state", [
    (nn.LSTMCell(3, 4), lambda h: (h, h)), (nn.GRUCell(3, 4), lambda h: h), (nn.RNNCell(3, 4), lambda h: h)])
def test_a_cell_refuses_a_state_of_another_dtype(cell, state):
    with pytest.raises(RuntimeError, match="hidden state's dtype"):
        cell(npnn.randn(2, 3), state(npnn.tensor(np.zeros((2, 4)))))
