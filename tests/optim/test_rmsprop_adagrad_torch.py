"""RMSprop and Adagrad against torch.optim: a tiny MLP trained 20 steps, state_dict round trips."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from tiny_model import npnn_model, torch_model, train
from torch_optim_runs import case_ids, float64_trajectory, npnn_run, torch_run

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

STEPS = 20
# float32: the centered variance v - a*a cancels, so a coordinate near 0 may differ by a few
# float32 roundings of its neighbours (atol); the float64 test below checks the formulas tightly
TOLERANCE = {"rtol": 1e-5, "atol": 5e-6}


def _rmsprop_cases() -> list[dict[str, Any]]:
    cases = [{"lr": 0.01, "momentum": momentum, "centered": centered, "weight_decay": weight_decay,
              "maximize": maximize}
             for momentum, centered, weight_decay, maximize in itertools.product(
                 [0.0, 0.9], [False, True], [0.0, 0.1], [False, True])]
    return [{}, {"lr": 0.003, "alpha": 0.9, "eps": 1e-3}, *cases]


def _adagrad_cases() -> list[dict[str, Any]]:
    return [{}, {"lr": 0.1, "lr_decay": 0.05}, {"lr": 0.05, "weight_decay": 0.1},
            {"lr": 0.05, "initial_accumulator_value": 0.5, "eps": 1e-3},
            {"lr": 0.05, "maximize": True, "lr_decay": 0.01, "weight_decay": 0.01}]


CASES = [("RMSprop", kw) for kw in _rmsprop_cases()] + [("Adagrad", kw) for kw in _adagrad_cases()]
IDS = case_ids(CASES)






@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_training_matches_torch_step_by_step(name: str, kwargs: dict[str, Any]) -> None:
    ours = train(npnn, *npnn_run(name, kwargs), 0, STEPS)
    theirs = train(torch, *torch_run(torch, name, kwargs), 0, STEPS)
    assert not np.allclose(ours[0], ours[-1]), "the parameters should move"
    for step, (mine, reference) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(mine, reference, **TOLERANCE, err_msg=f"after step {step + 1}")




@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_float64_formulas_match_torch(name: str, kwargs: dict[str, Any]) -> None:
    """200 float64 steps on optim_cases' problem: the same formulas and order as torch's."""
    np.testing.assert_allclose(float64_trajectory(npnn, name, kwargs),
                               float64_trajectory(torch, name, kwargs), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_state_dict_matches_torch(name: str, kwargs: dict[str, Any]) -> None:
    model, optimizer = npnn_run(name, kwargs)
    torch_model_, torch_optimizer = torch_run(torch, name, kwargs)
    train(npnn, model, optimizer, 0, 5)
    train(torch, torch_model_, torch_optimizer, 0, 5)
    ours, theirs = optimizer.state_dict(), torch_optimizer.state_dict()
    assert ours["state"].keys() == theirs["state"].keys()
    for index, state in ours["state"].items():
        assert state.keys() == theirs["state"][index].keys()
        for key, value in state.items():
            # g / sqrt(v - a*a) magnifies float32 rounding in the centered momentum buffer
            np.testing.assert_allclose(value, np.asarray(theirs["state"][index][key]),
                                       rtol=1e-4, atol=1e-5, err_msg=key)
    for group, torch_group in zip(ours["param_groups"], theirs["param_groups"], strict=True):
        for key, value in group.items():
            assert torch_group[key] == value, key


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_state_dict_round_trip_continues_exactly(name: str, kwargs: dict[str, Any]) -> None:
    model, optimizer = npnn_run(name, kwargs)
    uninterrupted = train(npnn, model, optimizer, 0, STEPS)
    model, optimizer = npnn_run(name, kwargs)
    train(npnn, model, optimizer, 0, STEPS // 2)
    saved_weights, saved_state = model.state_dict(), optimizer.state_dict()
    resumed_model, resumed_optimizer = npnn_run(name, {})  # hyperparameters come from the dict
    resumed_model.load_state_dict(saved_weights)
    resumed_optimizer.load_state_dict(saved_state)
    resumed = train(npnn, resumed_model, resumed_optimizer, STEPS // 2, STEPS)
    np.testing.assert_array_equal(np.stack(resumed), np.stack(uninterrupted[STEPS // 2:]))


def test_torch_state_dict_loads_into_npnn() -> None:
    """A torch RMSprop's state (float tensors, a 0-d step) continues in npnn as in torch."""
    kwargs = {"lr": 0.01, "momentum": 0.9, "centered": True}
    torch_model_, torch_optimizer = torch_run(torch, "RMSprop", kwargs)
    train(torch, torch_model_, torch_optimizer, 0, 10)
    model, optimizer = npnn_run("RMSprop", {})
    model.load_state_dict({k: npnn.tensor(v.numpy()) for k, v in torch_model_.state_dict().items()})
    state = torch_optimizer.state_dict()
    optimizer.load_state_dict({
        "state": {i: {k: v.numpy() for k, v in s.items()} for i, s in state["state"].items()},
        "param_groups": state["param_groups"],
    })
    ours = train(npnn, model, optimizer, 10, STEPS)
    theirs = train(torch, torch_model_, torch_optimizer, 10, STEPS)
    np.testing.assert_allclose(np.stack(ours), np.stack(theirs), **TOLERANCE)


@pytest.mark.parametrize(("name", "kwargs", "message"), [
    ("RMSprop", {"lr": -1}, "Invalid learning rate: -1"),
    ("RMSprop", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ("RMSprop", {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    ("RMSprop", {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
    ("RMSprop", {"alpha": -0.1}, "Invalid alpha value: -0.1"),
    ("Adagrad", {"lr": -1}, "Invalid learning rate: -1"),
    ("Adagrad", {"lr_decay": -1}, "Invalid lr_decay value: -1"),
    ("Adagrad", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("Adagrad", {"initial_accumulator_value": -1}, "Invalid initial_accumulator_value value: -1"),
    ("Adagrad", {"eps": -1}, "Invalid epsilon value: -1"),
])
def test_invalid_arguments_raise_torchs_errors(name: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message) as ours:
        getattr(npnn.optim, name)(npnn_model().parameters(), **kwargs)
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)(torch_model(torch).parameters(), **kwargs)
    assert str(theirs.value) in str(ours.value)


@pytest.mark.parametrize("name", ["RMSprop", "Adagrad"])
def test_defaults_match_torch(name: str) -> None:
    ours = getattr(npnn.optim, name)(npnn_model().parameters()).defaults
    theirs = getattr(torch.optim, name)(torch_model(torch).parameters()).defaults
    assert ours == {key: theirs[key] for key in ours}
    assert set(theirs) - set(ours) <= {"foreach", "fused", "capturable", "differentiable"}


def test_momentum_turned_on_later_starts_from_a_zero_buffer() -> None:
    """PyTorch raises KeyError here; npnn makes the buffer, so the first such step is b = g/avg."""
    model, optimizer = npnn_run("RMSprop", {"lr": 0.01})
    train(npnn, model, optimizer, 0, 3)
    with_momentum, _ = npnn_run("RMSprop", {"lr": 0.01})
    with_momentum.load_state_dict(model.state_dict())
    without = npnn.optim.RMSprop(with_momentum.parameters(), lr=0.01)
    without.load_state_dict(optimizer.state_dict())
    reference = train(npnn, with_momentum, without, 3, 4)[0]  # one more step, momentum still 0
    optimizer.param_groups[0]["momentum"] = 0.9
    moved = train(npnn, model, optimizer, 3, 4)[0]
    np.testing.assert_allclose(moved, reference, rtol=1e-6)
    assert all("momentum_buffer" in state for state in optimizer.state.values())


def test_adagrad_accumulator_starts_at_the_constructor_value_for_every_group_as_torch() -> None:
    """A group's own initial_accumulator_value (or one added later) is ignored by torch, which
    starts every accumulator at the constructor's value; npnn used the group's (review)."""
    sums = []
    for lib, adagrad in ((npnn, npnn.optim.Adagrad), (torch, torch.optim.Adagrad)):
        p, q = lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([1.0], requires_grad=True)
        optimizer = adagrad([{"params": [p], "initial_accumulator_value": 2.0}],
                            initial_accumulator_value=0.5)
        optimizer.add_param_group({"params": [q], "initial_accumulator_value": 3.0})
        (p.sum() + q.sum()).backward()
        optimizer.step()
        sums.append([np.asarray(optimizer.state[t]["sum"]).tolist() for t in (p, q)] + [p.tolist()])
    assert sums[0] == sums[1]
