"""Optimizer parity with torch.optim: 200-step parameter trajectories from identical starts."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from optim_cases import STEPS, gradient, initial_values

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

TOLERANCES = {np.float64: {"rtol": 1e-10, "atol": 1e-12}, np.float32: {"rtol": 1e-5, "atol": 1e-6}}


def _sgd_cases() -> list[dict[str, Any]]:
    cases = []
    for momentum, dampening, nesterov, weight_decay, maximize in itertools.product(
        [0.0, 0.9], [0.0, 0.3], [False, True], [0.0, 0.05], [False, True]
    ):
        if nesterov and (momentum == 0 or dampening != 0):
            continue
        cases.append({"lr": 0.05, "momentum": momentum, "dampening": dampening,
                      "nesterov": nesterov, "weight_decay": weight_decay, "maximize": maximize})
    return cases


def _adam_cases() -> list[dict[str, Any]]:
    cases = [{"lr": 0.01, "amsgrad": amsgrad, "weight_decay": weight_decay, "maximize": maximize}
             for amsgrad, weight_decay, maximize in itertools.product(
                 [False, True], [0.0, 0.1], [False, True])]
    # beta1 <= 0.5 takes lerp's other branch; a large eps checks where eps enters.
    # (A larger lr makes this problem chaotic: torch's FMA rounding then grows past 1e-10.)
    cases.append({"lr": 0.005, "betas": (0.3, 0.9), "eps": 1e-3})
    return cases


def _adamw_cases() -> list[dict[str, Any]]:
    return [{"lr": 0.01}, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1},
            {"lr": 0.01, "maximize": True, "betas": (0.5, 0.99)}]


CASES = ([("SGD", kw) for kw in _sgd_cases()] + [("Adam", kw) for kw in _adam_cases()]
         + [("AdamW", kw) for kw in _adamw_cases()])


def _trajectory(params: list[Any], optimizer: Any, read: Any, write_grad: Any,
                sign: float) -> np.ndarray:
    history = []
    for t in range(STEPS):
        for param in params:
            write_grad(param, sign * gradient(read(param), t))
        optimizer.step()
        history.append(np.concatenate([read(p).ravel() for p in params]))
    return np.stack(history)


def _run_npnn(name: str, kwargs: dict[str, Any], dtype: Any) -> np.ndarray:
    params = [npnn.nn.Parameter(x) for x in initial_values(dtype)]
    optimizer = getattr(npnn.optim, name)(params, **kwargs)

    def write_grad(p: Any, g: np.ndarray) -> None:
        p.grad = npnn.tensor(g)

    sign = -1.0 if kwargs.get("maximize") else 1.0
    out = _trajectory(params, optimizer, lambda p: p.data, write_grad, sign)
    assert all(p.dtype == dtype for p in params)
    return out


def _run_torch(name: str, kwargs: dict[str, Any], dtype: Any) -> np.ndarray:
    params = [torch.nn.Parameter(torch.from_numpy(x)) for x in initial_values(dtype)]
    optimizer = getattr(torch.optim, name)(params, **kwargs)

    def write_grad(p: Any, g: np.ndarray) -> None:
        p.grad = torch.from_numpy(g)

    sign = -1.0 if kwargs.get("maximize") else 1.0
    return _trajectory(params, optimizer, lambda p: p.detach().numpy(), write_grad, sign)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(("name", "kwargs"), CASES,
                         ids=[f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}"
                              for n, kw in CASES])
def test_trajectory_matches_torch(name: str, kwargs: dict[str, Any], dtype: Any) -> None:
    # maximize runs on the negated gradient, so it follows the same (convergent) path
    np.testing.assert_allclose(_run_npnn(name, kwargs, dtype), _run_torch(name, kwargs, dtype),
                               **TOLERANCES[dtype])


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_param_groups_with_different_lrs_match_torch(name: str) -> None:
    def run(lib: Any, make_param: Any, read: Any, to_grad: Any) -> np.ndarray:
        first, second, third = (make_param(x) for x in initial_values(np.float64))
        groups = [{"params": [first, third]}, {"params": [second], "lr": 0.003}]
        optimizer = getattr(lib.optim, name)(groups, lr=0.03, momentum=0.9) if name == "SGD" \
            else getattr(lib.optim, name)(groups, lr=0.03)
        for t in range(50):
            for p in (first, second, third):
                p.grad = to_grad(gradient(read(p), t))
            optimizer.step()
        return np.concatenate([read(p).ravel() for p in (first, second, third)])

    ours = run(npnn, npnn.nn.Parameter, lambda p: p.numpy(), npnn.tensor)
    theirs = run(torch, lambda x: torch.nn.Parameter(torch.from_numpy(x)),
                 lambda p: p.detach().numpy(), torch.from_numpy)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("name", "kwargs"), [("SGD", {"momentum": 0.9}), ("Adam", {}),
                                              ("Adam", {"amsgrad": True}), ("AdamW", {})])
def test_state_dict_layout_matches_torch(name: str, kwargs: dict[str, Any]) -> None:
    def state_dict(lib: Any, params: list[Any], to_grad: Any) -> dict[str, Any]:
        groups = [{"params": params[:2]}, {"params": params[2:], "lr": 0.5}]
        optimizer = getattr(lib.optim, name)(groups, **kwargs)
        for p in params[1:]:  # the first parameter never gets a grad, so it has no state
            p.grad = to_grad(np.ones(p.shape))
        optimizer.step()
        return optimizer.state_dict()

    ours = state_dict(npnn, [npnn.nn.Parameter(x) for x in initial_values(np.float64)],
                      npnn.tensor)
    theirs = state_dict(torch, [torch.nn.Parameter(torch.from_numpy(x))
                                for x in initial_values(np.float64)], torch.from_numpy)
    assert ours["state"].keys() == theirs["state"].keys()
    for index, state in ours["state"].items():
        assert state.keys() == theirs["state"][index].keys()
        for key, value in state.items():
            np.testing.assert_allclose(value, np.asarray(theirs["state"][index][key]), rtol=1e-12)
    for group, torch_group in zip(ours["param_groups"], theirs["param_groups"], strict=True):
        assert group["params"] == torch_group["params"]
        for key, value in group.items():
            assert torch_group[key] == value, key
