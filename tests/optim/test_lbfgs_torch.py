"""LBFGS against torch.optim.LBFGS: closure-driven steps on a tiny MLP (float32) and the Rosenbrock
function (float64), both line searches, state_dicts (torch's load into npnn), errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from tiny_model import batch, npnn_model, torch_model

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

CASES: list[dict[str, Any]] = [
    {},
    {"line_search_fn": "strong_wolfe"},
    {"lr": 0.5, "max_iter": 5, "history_size": 3},
    {"line_search_fn": "strong_wolfe", "history_size": 2, "max_iter": 7, "max_eval": 9},
    {"tolerance_grad": 1e-3, "tolerance_change": 1e-4, "line_search_fn": "strong_wolfe"},
]
IDS = ['-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults' for kw in CASES]


def _mlp_closure(lib: Any, model: Any, optimizer: Any, t: int, dtype: Any) -> Any:
    to_tensor = npnn.tensor if lib is npnn else lib.from_numpy
    x, y = (to_tensor(a.astype(dtype)) for a in batch(t))
    loss_fn = lib.nn.MSELoss()

    def closure() -> Any:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss

    return closure


def _params(model: Any) -> np.ndarray:
    return np.concatenate([(p.detach().numpy() if hasattr(p, "detach") else p.numpy()).ravel()
                           for p in model.parameters()])


def _mlp_run(lib: Any, kwargs: dict[str, Any], start: int, stop: int, dtype: Any = np.float32,
             model: Any = None, optimizer: Any = None) -> tuple[list[np.ndarray], list[float], Any, Any]:
    """Steps start..stop-1 (each up to max_iter iterations on batch t); the parameters and the
    returned loss of each step, the model and the optimizer."""
    if model is None:
        model = npnn_model() if lib is npnn else torch_model(torch)
        model = model.double() if dtype == np.float64 else model
        optimizer = lib.optim.LBFGS(model.parameters(), **kwargs)
    history, losses = [], []
    for t in range(start, stop):
        losses.append(optimizer.step(_mlp_closure(lib, model, optimizer, t, dtype)).item())
        history.append(_params(model))
    return history, losses, model, optimizer


def _check_counts(optimizer: Any, torch_optimizer: Any) -> None:
    ours, theirs = optimizer.state_dict()["state"][0], torch_optimizer.state_dict()["state"][0]
    assert (ours["func_evals"], ours["n_iter"]) == (theirs["func_evals"], theirs["n_iter"])


@pytest.mark.parametrize("kwargs", CASES, ids=IDS)
def test_float32_mlp_step_matches_torch(kwargs: dict[str, Any]) -> None:
    """One step (up to 20 iterations) in float32. Later steps on new batches amplify the
    float32 rounding of the forward and backward matmuls past 1e-5 (as they amplify float64's)."""
    ours, our_losses, _, optimizer = _mlp_run(npnn, kwargs, 0, 1)
    theirs, their_losses, _, torch_optimizer = _mlp_run(torch, kwargs, 0, 1)
    assert not np.allclose(ours[0], _params(npnn_model())), "the parameters should move"
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-6)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-5)
    _check_counts(optimizer, torch_optimizer)


@pytest.mark.parametrize("kwargs", CASES, ids=IDS)
def test_float64_mlp_steps_match_torch(kwargs: dict[str, Any]) -> None:
    """Two steps (up to 40 iterations) in float64: the same arithmetic as torch's, to 1e-9."""
    ours, our_losses, _, optimizer = _mlp_run(npnn, kwargs, 0, 2, np.float64)
    theirs, their_losses, _, torch_optimizer = _mlp_run(torch, kwargs, 0, 2, np.float64)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-12)
    np.testing.assert_allclose(np.stack(ours), np.stack(theirs), rtol=1e-9, atol=1e-12)
    _check_counts(optimizer, torch_optimizer)
    _compare_state(optimizer.state_dict(), torch_optimizer.state_dict(), rtol=1e-7)


def _rosenbrock_run(lib: Any, kwargs: dict[str, Any], dtype: Any, steps: int,
                    start: tuple[float, ...] = (-1.5, 2.0, 0.5, -0.5)) -> tuple[Any, Any]:
    start = np.array(start, dtype=dtype)
    x = npnn.nn.Parameter(start) if lib is npnn else torch.nn.Parameter(torch.from_numpy(start))
    optimizer = lib.optim.LBFGS([x], **kwargs)

    def closure() -> Any:
        optimizer.zero_grad()
        loss = (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
        loss.backward()
        return loss

    history = []
    for _ in range(steps):
        optimizer.step(closure)
        history.append((x.detach().numpy() if lib is torch else x.numpy()).copy())
    return np.stack(history), optimizer


@pytest.mark.parametrize("kwargs", CASES, ids=IDS)
def test_rosenbrock_float64_matches_torch(kwargs: dict[str, Any]) -> None:
    ours, optimizer = _rosenbrock_run(npnn, kwargs, np.float64, 5)
    theirs, torch_optimizer = _rosenbrock_run(torch, kwargs, np.float64, 5)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    _compare_state(optimizer.state_dict(), torch_optimizer.state_dict(), rtol=1e-7)


def test_strong_wolfe_reaches_the_rosenbrock_minimum_as_torch() -> None:
    kwargs = {"line_search_fn": "strong_wolfe", "max_iter": 100, "max_eval": 200}
    ours, _ = _rosenbrock_run(npnn, kwargs, np.float64, 2, start=(-1.2, 1.0))
    theirs, _ = _rosenbrock_run(torch, kwargs, np.float64, 2, start=(-1.2, 1.0))
    np.testing.assert_allclose(ours[-1], np.ones(2), atol=1e-4)  # tolerance_change stops it
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def _compare_state(ours: dict[str, Any], theirs: dict[str, Any], rtol: float) -> None:
    assert ours["state"].keys() == theirs["state"].keys() == {0}
    mine, reference = ours["state"][0], theirs["state"][0]
    assert mine.keys() == reference.keys()
    for key, value in mine.items():
        expected = reference[key]
        if isinstance(value, list):
            assert len(value) == len(expected), key
            for item, other in zip(value, expected, strict=True):
                if other is None:
                    assert item is None, key
                else:
                    np.testing.assert_allclose(item, np.asarray(other), rtol=rtol, atol=1e-10, err_msg=key)
        else:
            np.testing.assert_allclose(value, np.asarray(expected), rtol=rtol, atol=1e-10, err_msg=key)
    assert ours["param_groups"] == theirs["param_groups"]


def _as_numpy(value: Any) -> Any:
    if isinstance(value, list):
        return [_as_numpy(item) for item in value]
    return value.numpy() if isinstance(value, torch.Tensor) else value


@pytest.mark.parametrize("kwargs", CASES, ids=IDS)
def test_torch_state_dict_loads_into_npnn_and_continues(kwargs: dict[str, Any]) -> None:
    _, _, torch_model_, torch_optimizer = _mlp_run(torch, kwargs, 0, 1, np.float64)
    saved = torch_optimizer.state_dict()
    model = npnn_model().double()
    model.load_state_dict({k: npnn.tensor(v.numpy()) for k, v in torch_model_.state_dict().items()})
    optimizer = npnn.optim.LBFGS(model.parameters())
    optimizer.load_state_dict({"state": {i: {k: _as_numpy(v) for k, v in s.items()}
                                         for i, s in saved["state"].items()},
                               "param_groups": saved["param_groups"]})
    ours, _, _, _ = _mlp_run(npnn, kwargs, 1, 2, np.float64, model, optimizer)
    theirs, _, _, _ = _mlp_run(torch, kwargs, 1, 2, np.float64, torch_model_, torch_optimizer)
    np.testing.assert_allclose(np.stack(ours), np.stack(theirs), rtol=1e-9, atol=1e-12)
    _check_counts(optimizer, torch_optimizer)


@pytest.mark.parametrize("kwargs", CASES, ids=IDS)
def test_state_dict_round_trip_continues_exactly(kwargs: dict[str, Any]) -> None:
    uninterrupted, _, _, _ = _mlp_run(npnn, kwargs, 0, 4)
    _, _, model, optimizer = _mlp_run(npnn, kwargs, 0, 2)
    saved_weights, saved_state = model.state_dict(), optimizer.state_dict()
    resumed_model = npnn_model()
    resumed_model.load_state_dict(saved_weights)
    resumed_optimizer = npnn.optim.LBFGS(resumed_model.parameters())
    resumed_optimizer.load_state_dict(saved_state)
    resumed, _, _, _ = _mlp_run(npnn, kwargs, 2, 4, np.float32, resumed_model, resumed_optimizer)
    np.testing.assert_array_equal(np.stack(resumed), np.stack(uninterrupted[2:]))


def test_a_second_param_group_is_refused() -> None:
    params = list(npnn_model().parameters())
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        npnn.optim.LBFGS([{"params": params[:2]}, {"params": params[2:]}])
    optimizer = npnn.optim.LBFGS(params[:2])
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optimizer.add_param_group({"params": params[2:]})
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        torch.optim.LBFGS([{"params": [torch.zeros(1, requires_grad=True)]},
                           {"params": [torch.zeros(1, requires_grad=True)]}])


def test_unknown_line_search_and_negative_lr_are_refused() -> None:
    params = list(npnn_model().parameters())
    with pytest.raises(ValueError, match="only 'strong_wolfe' is supported"):
        npnn.optim.LBFGS(params, line_search_fn="armijo")
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        npnn.optim.LBFGS(params, lr=-1)
    with pytest.raises(TypeError, match="closure"):
        npnn.optim.LBFGS(params).step()  # type: ignore[call-arg]


def test_a_small_gradient_returns_at_once_as_torch() -> None:
    """max|g| <= tolerance_grad at the first evaluation: one closure call, no step, only counts."""
    ours, optimizer = _rosenbrock_run(npnn, {"tolerance_grad": 1e4}, np.float64, 2)
    theirs, torch_optimizer = _rosenbrock_run(torch, {"tolerance_grad": 1e4}, np.float64, 2)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(ours[-1], [-1.5, 2.0, 0.5, -0.5])
    assert optimizer.state_dict()["state"] == {0: {"func_evals": 2, "n_iter": 0}}
    _compare_state(optimizer.state_dict(), torch_optimizer.state_dict(), rtol=0)
