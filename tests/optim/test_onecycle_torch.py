"""OneCycleLR against torch.optim.lr_scheduler.OneCycleLR: lr and momentum per step, errors, state."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from tiny_model import npnn_model, torch_model, train

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

TOTAL = 40
SCHEDULES = [{"anneal_strategy": strategy, "three_phase": three_phase}
             for strategy, three_phase in itertools.product(["cos", "linear"], [False, True])]
OPTIMIZERS = ["SGD", "Adam", "RMSprop"]


def _optimizer(lib: Any, name: str, params: list[Any]) -> Any:
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": 0.5}]
    if name == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return getattr(lib.optim, name)(groups, lr=0.01)


def _params(lib: Any) -> list[Any]:
    make = npnn.nn.Parameter if lib is npnn else (lambda x: torch.nn.Parameter(torch.from_numpy(x)))
    return [make(np.zeros(3)) for _ in range(4)]


def _momentum(group: dict[str, Any]) -> float:
    return group["betas"][0] if "betas" in group else group["momentum"]


def _sequence(lib: Any, name: str, steps: int, **kwargs: Any) -> np.ndarray:
    optimizer = _optimizer(lib, name, _params(lib))
    scheduler = lib.optim.lr_scheduler.OneCycleLR(optimizer, **kwargs)
    rows = []
    for _ in range(steps):
        rows.append(scheduler.get_last_lr() + [g["lr"] for g in optimizer.param_groups]
                    + [_momentum(g) for g in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    return np.array(rows)


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("schedule", SCHEDULES, ids=[f"{s['anneal_strategy']}-"
                                                     f"{'three' if s['three_phase'] else 'two'}"
                                                     for s in SCHEDULES])
def test_lr_and_momentum_match_torch(name: str, schedule: dict[str, Any]) -> None:
    kwargs = {"max_lr": [0.2, 1.0], "total_steps": TOTAL, "pct_start": 0.25, **schedule}
    ours = _sequence(npnn, name, TOTAL, **kwargs)
    theirs = _sequence(torch, name, TOTAL, **kwargs)
    assert len(np.unique(ours[:, 0])) > TOTAL // 2 and len(np.unique(ours[:, -1])) > 2
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("kwargs", [
    {"max_lr": 0.3, "epochs": 4, "steps_per_epoch": 10, "cycle_momentum": False},
    {"max_lr": 0.3, "total_steps": 30, "base_momentum": [0.8, 0.7], "max_momentum": 0.9,
     "div_factor": 10.0, "final_div_factor": 100.0, "pct_start": 0.4},
])
def test_options_match_torch(kwargs: dict[str, Any]) -> None:
    steps = kwargs.get("total_steps", 40)
    np.testing.assert_array_equal(_sequence(npnn, "SGD", steps, **kwargs),
                                  _sequence(torch, "SGD", steps, **kwargs))


def test_stepping_past_total_steps_raises_torchs_error() -> None:
    messages = []
    for lib in (npnn, torch):
        optimizer = _optimizer(lib, "SGD", _params(lib))
        scheduler = lib.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=5)
        for _ in range(5):  # last_epoch 5 == total_steps is still allowed
            optimizer.step()
            scheduler.step()
        optimizer.step()
        with pytest.raises(ValueError, match="Tried to step 6 times") as error:
            scheduler.step()
        messages.append(str(error.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("kwargs", [
    {"max_lr": 0.1},
    {"max_lr": 0.1, "total_steps": 0},
    {"max_lr": 0.1, "epochs": 0, "steps_per_epoch": 3},
    {"max_lr": 0.1, "total_steps": 10, "pct_start": 1},
    {"max_lr": 0.1, "total_steps": 10, "anneal_strategy": "exp"},
    {"max_lr": [0.1, 0.2, 0.3], "total_steps": 10},
])
def test_invalid_arguments_raise_torchs_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError) as ours:
        npnn.optim.lr_scheduler.OneCycleLR(_optimizer(npnn, "SGD", _params(npnn)), **kwargs)
    with pytest.raises(ValueError) as theirs:
        torch.optim.lr_scheduler.OneCycleLR(_optimizer(torch, "SGD", _params(torch)), **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_optimizer_without_momentum_is_refused() -> None:
    optimizer = npnn.optim.Adagrad(_params(npnn))
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        npnn.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=10)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_dict_round_trip_continues_the_schedule(name: str) -> None:
    kwargs = {"max_lr": 0.5, "total_steps": TOTAL, "three_phase": True}
    uninterrupted = _sequence(npnn, name, TOTAL, **kwargs)
    optimizer = _optimizer(npnn, name, _params(npnn))
    scheduler = npnn.optim.lr_scheduler.OneCycleLR(optimizer, **kwargs)
    for _ in range(15):
        optimizer.step()
        scheduler.step()
    saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()
    torch_keys = set(torch.optim.lr_scheduler.OneCycleLR(
        _optimizer(torch, name, _params(torch)), **kwargs).state_dict())
    assert torch_keys - {"_get_lr_called_within_step"} <= set(saved_scheduler)

    # the usual resume: build both as before, then load the optimizer's state and the scheduler's
    optimizer = _optimizer(npnn, name, _params(npnn))
    scheduler = npnn.optim.lr_scheduler.OneCycleLR(optimizer, **kwargs)
    optimizer.load_state_dict(saved_optimizer)
    scheduler.load_state_dict(saved_scheduler)
    rows = []
    for _ in range(15, TOTAL):
        rows.append(scheduler.get_last_lr() + [g["lr"] for g in optimizer.param_groups]
                    + [_momentum(g) for g in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    np.testing.assert_array_equal(np.array(rows), uninterrupted[15:])


def test_lrs_at_reads_the_schedule_ahead() -> None:
    optimizer = _optimizer(npnn, "SGD", _params(npnn))
    scheduler = npnn.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.5, total_steps=TOTAL)
    ahead = scheduler.lrs_at(range(TOTAL))
    assert scheduler.lrs_at(range(TOTAL), closed_form=True) == ahead
    assert [g["momentum"] for g in optimizer.param_groups] == [0.95, 0.95]  # untouched
    for epoch in range(TOTAL):
        assert scheduler.get_last_lr() == ahead[epoch]
        optimizer.step()
        scheduler.step()


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_training_with_the_schedule_matches_torch(name: str) -> None:
    """The momentum the scheduler writes is the one the next step uses (Adam's beta1 too, whose
    float32 moments npnn keeps scaled by 1/(1-beta1)), and the saved state is torch's."""
    def run(lib: Any) -> tuple[list[np.ndarray], dict[str, Any]]:
        model = npnn_model() if lib is npnn else torch_model(torch)
        extra = {} if lib is npnn else {"foreach": False}
        if name == "SGD":
            optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, **extra)
        else:
            optimizer = getattr(lib.optim, name)(model.parameters(), lr=0.01, **extra)
        scheduler = lib.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, total_steps=20)
        return train(lib, model, optimizer, 0, 20, after_step=scheduler.step), optimizer.state_dict()

    (ours, our_state), (theirs, their_state) = run(npnn), run(torch)
    for step, (mine, reference) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=5e-6, err_msg=f"step {step + 1}")
    for index, state in our_state["state"].items():
        for key, value in state.items():  # float32 rounding, relative to the array's largest entry
            reference = np.asarray(their_state["state"][index][key])
            np.testing.assert_allclose(value, reference, rtol=1e-4,
                                       atol=1e-5 * np.abs(reference).max(), err_msg=key)
