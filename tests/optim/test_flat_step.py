"""The flat (whole-group) optimizer step gives bitwise the values of the per-parameter step."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import npnn
from npnn import nn, optim

CASES = [
    (optim.Adam, {"lr": 1e-2}),
    (optim.Adam, {"lr": 1e-2, "amsgrad": True}),
    (optim.Adam, {"lr": 1e-2, "maximize": True, "weight_decay": 0.1}),
    (optim.AdamW, {"lr": 1e-2, "weight_decay": 0.1}),
    (optim.SGD, {"lr": 0.05}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "maximize": True}),
]


def _one_by_one(cls: type[optim.Optimizer]) -> type[optim.Optimizer]:
    """The same optimizer with the flat update turned off."""
    return type(f"PerParameter{cls.__name__}", (cls,), {"_flat_names": lambda self, *args: None})


def _model(seed: int = 0, hidden: int = 5) -> nn.Module:
    npnn.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, hidden), nn.ReLU(), nn.Linear(hidden, 3))


def _train(cls: type[optim.Optimizer], options: dict[str, Any], steps: int = 60,
           skip: int | None = None, hidden: int = 5) -> tuple[nn.Module, optim.Optimizer]:
    model = _model(hidden=hidden)
    optimizer = cls(model.parameters(), **options)
    rng = np.random.default_rng(1)
    last_bias = model[2].bias
    for step in range(steps):
        x = npnn.tensor(rng.standard_normal((8, 6)).astype(np.float32))
        loss = (model(x) ** 2).mean()
        if options.get("maximize"):
            loss = -loss
        optimizer.zero_grad()
        loss.backward()
        if skip is not None and step % skip == 0:
            last_bias.grad = None  # a parameter without a gradient this step is left alone
        optimizer.step()
    return model, optimizer


def _assert_same(a: tuple[nn.Module, optim.Optimizer], b: tuple[nn.Module, optim.Optimizer]) -> None:
    for (name, x), (_, y) in zip(a[0].state_dict().items(), b[0].state_dict().items(), strict=True):
        assert np.array_equal(x.numpy(), y.numpy()), name
    state_a, state_b = a[1].state_dict()["state"], b[1].state_dict()["state"]
    assert state_a.keys() == state_b.keys()
    for index in state_a:
        for key, value in state_a[index].items():
            assert np.array_equal(np.asarray(value), np.asarray(state_b[index][key])), (index, key)


@pytest.mark.parametrize(("cls", "options"), CASES)
def test_flat_step_equals_the_per_parameter_step(cls: type[optim.Optimizer], options: dict[str, Any]) -> None:
    flat = _train(cls, options)  # 60 steps: across Adam's flush of subnormal moments at step 50
    assert flat[1]._flat_groups, "the flat update was not used"
    _assert_same(flat, _train(_one_by_one(cls), options))


@pytest.mark.parametrize(("cls", "options"), [CASES[0], CASES[5]])
def test_steps_where_a_parameter_has_no_gradient_match_too(cls: type[optim.Optimizer],
                                                           options: dict[str, Any]) -> None:
    _assert_same(_train(cls, options, skip=7), _train(_one_by_one(cls), options, skip=7))


@pytest.mark.parametrize(("cls", "options"), [CASES[1], CASES[6]])
def test_large_parameters_updated_one_by_one_beside_the_flat_ones_match(
        cls: type[optim.Optimizer], options: dict[str, Any]) -> None:
    hidden = optim.optimizer.FLAT_MAX_ELEMENTS // 6 + 1  # the first weight is over the flat limit
    flat = _train(cls, options, steps=12, hidden=hidden)
    assert len(flat[1]._flat_groups[0].params) == 3
    _assert_same(flat, _train(_one_by_one(cls), options, steps=12, hidden=hidden))


def test_loading_a_fresh_state_restarts_the_moments_from_zero() -> None:
    model, optimizer = _train(optim.Adam, {"lr": 1e-2}, steps=5)
    fresh = optim.Adam(model.parameters(), lr=1e-2)
    optimizer.load_state_dict(fresh.state_dict())  # no state: as a new optimizer
    start = {k: v.clone() for k, v in model.state_dict().items()}
    x = npnn.tensor(np.ones((3, 6), np.float32))
    results = []
    for opt in (optimizer, fresh):
        model.load_state_dict(start)
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
        results.append([p.numpy().copy() for p in model.parameters()])
    for a, b in zip(*results, strict=True):
        assert np.array_equal(a, b)


def test_state_arrays_are_views_of_the_flat_buffers_and_a_loaded_state_is_continued() -> None:
    model, optimizer = _train(optim.Adam, {"lr": 1e-2}, steps=5)
    weight = model[0].weight
    flat = optimizer._flat_groups[0]
    assert np.shares_memory(optimizer.state[weight]["exp_avg"], flat.flat["exp_avg"])
    saved = optimizer.state_dict()
    # a new optimizer loading the state continues exactly as the first one goes on
    other = optim.Adam(model.parameters(), lr=1e-2)
    other.load_state_dict(saved)
    x = npnn.tensor(np.random.default_rng(5).standard_normal((8, 6)).astype(np.float32))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    results = []
    for opt in (optimizer, other):
        model.load_state_dict(before)
        loss = (model(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        results.append([p.numpy().copy() for p in model.parameters()])
    for a, b in zip(*results, strict=True):
        assert np.array_equal(a, b)


def test_a_state_array_replaced_by_the_user_is_used() -> None:
    model, optimizer = _train(optim.SGD, {"lr": 0.1, "momentum": 0.9}, steps=3)
    weight = model[0].weight
    optimizer.state[weight]["momentum_buffer"] = np.zeros(weight.shape, np.float32)
    x = npnn.tensor(np.ones((2, 6), np.float32))
    loss = model(x).sum()
    optimizer.zero_grad()
    loss.backward()
    expected = weight.numpy() - 0.1 * weight.grad.numpy()  # zero momentum: b = g
    optimizer.step()
    np.testing.assert_allclose(weight.numpy(), expected, rtol=1e-6)
    assert np.shares_memory(optimizer.state[weight]["momentum_buffer"],
                            optimizer._flat_groups[0].flat["momentum_buffer"])


def test_mixed_dtypes_in_a_group_are_updated_one_by_one() -> None:
    a = npnn.zeros(3, requires_grad=True)
    b = npnn.zeros(3, dtype=npnn.float64, requires_grad=True)
    optimizer = optim.SGD([a, b], lr=1.0)
    (a.sum() + b.sum()).backward()
    optimizer.step()
    assert a.tolist() == [-1.0] * 3 and b.tolist() == [-1.0] * 3 and not optimizer._flat_groups


def test_a_deep_copy_of_an_optimizer_steps_as_the_original():
    """copy.deepcopy((model, optimizer)) after flat steps: the copy has its own state, which it
    updates as the original updates its own (PyTorch code snapshots optimizers this way)."""
    import copy

    model, optimizer = _train(optim.Adam, {"lr": 1e-2}, steps=3)
    twin_model, twin = copy.deepcopy((model, optimizer))
    x = npnn.tensor(np.ones((2, 6), np.float32))
    for m, opt in ((model, optimizer), (twin_model, twin)):
        opt.zero_grad()
        (m(x) ** 2).mean().backward()
        opt.step()
    for a, b in zip(model.parameters(), twin_model.parameters(), strict=True):
        assert np.array_equal(a.numpy(), b.numpy())
    _assert_same((model, optimizer), (twin_model, twin))


def test_a_momentum_buffer_of_none_restarts_from_the_gradient():
    """PyTorch's momentum_buffer=None (e.g. in a loaded state) means b = g at the next step."""
    results = []
    for cls in (optim.SGD, _one_by_one(optim.SGD)):
        model, optimizer = _train(cls, {"lr": 0.1, "momentum": 0.9}, steps=3)
        saved = optimizer.state_dict()
        for state in saved["state"].values():
            state["momentum_buffer"] = None
        optimizer.load_state_dict(saved)
        model.load_state_dict({k: v.clone() for k, v in _model().state_dict().items()})
        optimizer.zero_grad()
        (model(npnn.tensor(np.ones((2, 6), np.float32))) ** 2).mean().backward()
        optimizer.step()
        results.append([p.numpy().copy() for p in model.parameters()])
    for a, b in zip(*results, strict=True):
        assert np.all(np.isfinite(a)) and np.array_equal(a, b)


def test_a_step_count_loaded_as_a_0d_array_is_read():
    """A state converted from PyTorch holds `step` as a 0-d array."""
    model, optimizer = _train(optim.Adam, {"lr": 1e-2}, steps=2)
    saved = optimizer.state_dict()
    for state in saved["state"].values():
        state["step"] = np.array(float(state["step"]))
    optimizer.load_state_dict(saved)
    optimizer.zero_grad()
    (model(npnn.tensor(np.ones((2, 6), np.float32))) ** 2).mean().backward()
    optimizer.step()
    assert all(np.isfinite(p.numpy()).all() for p in model.parameters())


def test_parameters_cast_after_steps_are_updated_in_their_new_dtype():
    model, optimizer = _train(optim.SGD, {"lr": 0.1, "momentum": 0.9}, steps=2)
    model.double()
    optimizer.zero_grad()
    (model(npnn.tensor(np.ones((2, 6), np.float64))) ** 2).mean().backward()
    optimizer.step()
    assert all(p.dtype == npnn.float64 and np.isfinite(p.numpy()).all() for p in model.parameters())
    assert optimizer._flat_groups[0].dtype == np.float64  # rebuilt for the new dtype
