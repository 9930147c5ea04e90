"""NAdam, RAdam, Adamax, Adadelta, ASGD and Rprop against torch.optim: a tiny MLP trained 20 steps,
200 float64 steps, state_dicts (torch's load into npnn), param groups, argument errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from optim_cases import gradient, initial_values
from tiny_model import npnn_model, torch_model, train
from torch_optim_runs import case_ids, float64_trajectory, npnn_run, torch_run

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

STEPS = 20
TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}
NAMES = ["NAdam", "RAdam", "Adamax", "Adadelta", "ASGD", "Rprop"]

CASES: list[tuple[str, dict[str, Any]]] = [
    ("NAdam", {}),
    ("NAdam", {"lr": 0.005, "betas": (0.3, 0.9), "eps": 1e-3, "momentum_decay": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "betas": (0.5, 0.9)}),  # rho_t passes 5 at step 6: both branches
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "eps": 1e-3}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.003, "betas": (0.3, 0.9), "eps": 1e-3}),  # larger lr: chaotic
    ("Adamax", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-4}),
    ("Adadelta", {"weight_decay": 0.1, "maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 5}),  # averaging from step 6
    ("ASGD", {"lr": 0.05, "t0": 3, "weight_decay": 0.1, "maximize": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.001, "etas": (0.3, 1.5), "step_sizes": (1e-4, 0.05)}),
    ("Rprop", {"maximize": True}),
]
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
    ours = float64_trajectory(npnn, name, kwargs)
    np.testing.assert_allclose(ours, float64_trajectory(torch, name, kwargs), rtol=1e-9, atol=1e-12)
    assert not np.allclose(ours[0], ours[-1]), "the parameters should move"


def _compare_state_dicts(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert ours["state"].keys() == theirs["state"].keys()
    for index, state in ours["state"].items():
        assert state.keys() == theirs["state"][index].keys()
        for key, value in state.items():
            np.testing.assert_allclose(value, np.asarray(theirs["state"][index][key]),
                                       rtol=1e-5, atol=1e-6, err_msg=key)
    for group, torch_group in zip(ours["param_groups"], theirs["param_groups"], strict=True):
        for key, value in group.items():
            assert torch_group[key] == value, key


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_state_dict_matches_torch(name: str, kwargs: dict[str, Any]) -> None:
    model, optimizer = npnn_run(name, kwargs)
    torch_model_, torch_optimizer = torch_run(torch, name, kwargs)
    train(npnn, model, optimizer, 0, 8)
    train(torch, torch_model_, torch_optimizer, 0, 8)
    _compare_state_dicts(optimizer.state_dict(), torch_optimizer.state_dict())


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


def _torch_state_as_numpy(state_dict: dict[str, Any]) -> dict[str, Any]:
    return {"state": {i: {k: v.numpy() for k, v in s.items()} for i, s in state_dict["state"].items()},
            "param_groups": state_dict["param_groups"]}


@pytest.mark.parametrize(("name", "kwargs"), [case for case in CASES if case[1]],
                         ids=[i for i, case in zip(IDS, CASES, strict=True) if case[1]])
def test_torch_state_dict_loads_into_npnn(name: str, kwargs: dict[str, Any]) -> None:
    """A torch optimizer's state (float tensors, 0-d step, eta, mu_product) continues in npnn."""
    torch_model_, torch_optimizer = torch_run(torch, name, kwargs)
    train(torch, torch_model_, torch_optimizer, 0, 10)
    model, optimizer = npnn_run(name, {})
    model.load_state_dict({k: npnn.tensor(v.numpy()) for k, v in torch_model_.state_dict().items()})
    optimizer.load_state_dict(_torch_state_as_numpy(torch_optimizer.state_dict()))
    ours = train(npnn, model, optimizer, 10, STEPS)
    theirs = train(torch, torch_model_, torch_optimizer, 10, STEPS)
    np.testing.assert_allclose(np.stack(ours), np.stack(theirs), **TOLERANCE)


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_and_add_param_group_match_torch(name: str) -> None:
    """Two groups with their own lr, and a third parameter added as a group after 10 steps."""
    def run(lib: Any, make_param: Any, read: Any, to_grad: Any) -> np.ndarray:
        first, second, third = (make_param(x) for x in initial_values(np.float64))
        optimizer = getattr(lib.optim, name)([{"params": [first]}, {"params": [second], "lr": 0.003}],
                                             lr=0.02)
        for t in range(30):
            if t == 10:
                optimizer.add_param_group({"params": [third], "lr": 0.05})
            for p in (first, second, third):
                p.grad = to_grad(gradient(read(p), t))
            optimizer.step()
        return np.concatenate([read(p).ravel() for p in (first, second, third)])

    ours = run(npnn, npnn.nn.Parameter, lambda p: p.numpy(), npnn.tensor)
    theirs = run(torch, lambda x: torch.nn.Parameter(torch.from_numpy(x)),
                 lambda p: p.detach().numpy(), torch.from_numpy)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("name", "kwargs", "message"), [
    *[(name, {"lr": -1}, "Invalid learning rate: -1") for name in NAMES],
    *[(name, {"eps": -1.0}, "Invalid epsilon value: -1.0") for name in ["NAdam", "RAdam", "Adamax",
                                                                      "Adadelta"]],
    *[(name, {"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0")
      for name in ["NAdam", "RAdam", "Adamax"]],
    *[(name, {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1")
      for name in ["NAdam", "RAdam", "Adamax"]],
    *[(name, {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1")
      for name in ["NAdam", "RAdam", "Adamax", "Adadelta", "ASGD"]],
    ("NAdam", {"momentum_decay": -1.0}, "Invalid momentum_decay value: -1.0"),
    ("Adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
    ("Rprop", {"etas": (1.2, 0.5)}, "Invalid eta values: 1.2, 0.5"),
])
def test_invalid_arguments_raise_torchs_errors(name: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message) as ours:
        getattr(npnn.optim, name)(npnn_model().parameters(), **kwargs)
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)(torch_model(torch).parameters(), **kwargs)
    assert str(theirs.value) in str(ours.value)


@pytest.mark.parametrize("name", [*NAMES, "LBFGS"])
def test_defaults_and_repr_match_torch(name: str) -> None:
    ours = getattr(npnn.optim, name)(npnn_model().parameters())
    theirs = getattr(torch.optim, name)(torch_model(torch).parameters())
    assert ours.defaults == {key: theirs.defaults[key] for key in ours.defaults}
    flags = {"foreach", "fused", "capturable", "differentiable"}
    assert set(theirs.defaults) - set(ours.defaults) <= flags
    torch_lines = [line for line in repr(theirs).splitlines()
                   if line.split(":")[0].strip() not in flags]
    assert repr(ours).splitlines() == torch_lines


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("flag", ["foreach", "capturable", "differentiable"])
def test_unsupported_flags_are_refused_by_name(name: str, flag: str) -> None:
    with pytest.raises(TypeError, match=flag):
        getattr(npnn.optim, name)(npnn_model().parameters(), **{flag: False})


@pytest.mark.parametrize(("name", "kwargs", "keys"), [
    ("NAdam", {"momentum_decay": 0.01}, ["step", "mu_product"]),
    ("ASGD", {"t0": 3, "lambd": 0.3}, ["step", "eta", "mu"]),
])
def test_scalar_state_equals_torchs_float32_scalars_exactly(name: str, kwargs: dict[str, Any],
                                                           keys: list[str]) -> None:
    """PyTorch keeps mu_product, eta and mu as float32 scalar tensors even for float64 parameters:
    npnn rounds them the same way, so they (and the updates that use them) agree bit for bit."""
    values = []
    for lib in (npnn, torch):
        param = (npnn.nn.Parameter(np.ones(3)) if lib is npnn
                 else torch.nn.Parameter(torch.ones(3, dtype=torch.float64)))
        optimizer = getattr(lib.optim, name)([param], **kwargs)
        for t in range(30):
            param.grad = (npnn.tensor if lib is npnn else torch.from_numpy)(np.full(3, 0.1 + 0.01 * t))
            optimizer.step()
        values.append([float(optimizer.state_dict()["state"][0][key]) for key in keys])
    assert values[0] == values[1]
