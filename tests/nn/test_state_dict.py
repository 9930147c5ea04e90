"""state_dict() and load_state_dict(): keys, plain arrays, strictness and error reporting."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import npnn
from npnn import nn


def make_model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.BatchNorm1d(3), nn.Linear(3, 2))


MODEL_KEYS = ["0.weight", "0.bias", "2.weight", "2.bias", "2.running_mean", "2.running_var",
              "2.num_batches_tracked", "3.weight", "3.bias"]


def test_state_dict_keys_and_detached_tensors_sharing_memory() -> None:
    model = make_model()
    state = model.state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state) == MODEL_KEYS
    assert all(type(value) is npnn.Tensor and not value.requires_grad for value in state.values())
    assert np.shares_memory(state["0.weight"].array, model[0].weight.array)  # as PyTorch's
    assert state["2.num_batches_tracked"].dtype == np.int64
    assert state["2.num_batches_tracked"].shape == ()
    assert state["0.weight"].shape == (3, 4)


@pytest.mark.parametrize("kwargs, keys", [
    ({}, ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]),
    ({"affine": False}, ["running_mean", "running_var", "num_batches_tracked"]),
    ({"track_running_stats": False}, ["weight", "bias"]),
    ({"bias": False}, ["weight", "running_mean", "running_var", "num_batches_tracked"]),
])
def test_batchnorm_state_dict_keys(kwargs: dict, keys: list[str]) -> None:
    assert list(nn.BatchNorm1d(3, **kwargs).state_dict()) == keys


def test_non_persistent_buffers_are_excluded() -> None:
    module = nn.Linear(2, 2)
    module.register_buffer("mask", np.ones(2, dtype=np.float32), persistent=False)
    assert "mask" in dict(module.named_buffers())
    assert "mask" not in module.state_dict()
    assert module.load_state_dict(module.state_dict()) == ([], [])


def test_state_dict_prefix_is_prepended_as_given() -> None:
    assert list(nn.Linear(2, 2).state_dict(prefix="model.")) == ["model.weight", "model.bias"]


def test_shared_submodule_appears_under_every_name() -> None:
    # as PyTorch: each path to a shared module is a key, so checkpoints mirror the structure
    shared = nn.Linear(2, 2)
    assert list(nn.Sequential(shared, shared).state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_load_state_dict_round_trip_copies_values() -> None:
    source, target = make_model(), make_model()
    source.train()
    source(npnn.randn(8, 4))  # move the running statistics off their initial values
    state = {key: value.clone() for key, value in source.state_dict().items()}
    result = target.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for key, value in target.state_dict().items():
        np.testing.assert_array_equal(value, state[key])
        assert value.dtype == source.state_dict()[key].dtype
    state["0.weight"] += 1.0
    assert not np.array_equal(target.state_dict()["0.weight"], state["0.weight"])
    source.eval(), target.eval()
    x = npnn.randn(5, 4)
    np.testing.assert_array_equal(source(x).array, target(x).array)


def test_load_state_dict_keeps_the_model_dtype_and_accepts_tensors() -> None:
    model = nn.Linear(3, 2)
    weight = np.arange(6, dtype=np.float64).reshape(2, 3)
    model.load_state_dict({"weight": npnn.tensor(weight), "bias": np.zeros(2)})
    assert model.weight.dtype == np.float32
    np.testing.assert_array_equal(model.weight.array, weight)


def test_strict_load_names_missing_unexpected_and_mis_shaped_keys_in_one_message() -> None:
    model = make_model()
    before = {key: value.clone() for key, value in model.state_dict().items()}
    state = make_model().state_dict()
    del state["3.bias"]
    state["extra.weight"] = np.zeros(1)
    state["0.weight"] = np.zeros((4, 3))
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    for fragment in ("3.bias", "extra.weight", "0.weight", "(4, 3)", "(3, 4)", "Sequential"):
        assert fragment in message
    for key, value in model.state_dict().items():  # nothing was half-loaded
        np.testing.assert_array_equal(value, before[key])


@pytest.mark.parametrize("strict", [True, False])
def test_mis_shaped_keys_are_an_error_even_when_not_strict(strict: bool) -> None:
    state = make_model().state_dict()
    state["2.running_mean"] = np.zeros(5)
    with pytest.raises(RuntimeError, match=r"2.running_mean.*\(5,\).*\(3,\)"):
        make_model().load_state_dict(state, strict=strict)


def test_non_strict_load_returns_missing_and_unexpected_keys_and_loads_the_rest() -> None:
    model = make_model()
    state = {key: value.clone() for key, value in make_model().state_dict().items()}
    del state["0.bias"], state["2.num_batches_tracked"]
    state["head.weight"] = np.zeros(2)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["0.bias", "2.num_batches_tracked"]
    assert result.unexpected_keys == ["head.weight"]
    np.testing.assert_array_equal(model.state_dict()["3.weight"], state["3.weight"])
