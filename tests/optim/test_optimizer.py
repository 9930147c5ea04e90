"""Optimizer behaviour that needs no PyTorch: groups, state, zero_grad, state_dict, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from optim_cases import gradient, initial_values

import npnn
from npnn.nn import Parameter
from npnn.optim import ASGD, SGD, Adadelta, Adam, Adamax, AdamW, NAdam, Optimizer, RAdam, Rprop

MakeOptimizer = Callable[[Any], Optimizer]

OPTIMIZERS: list[tuple[str, MakeOptimizer]] = [
    ("sgd", lambda p: SGD(p, lr=0.1)),
    ("sgd_momentum", lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("sgd_nesterov", lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    ("adam", lambda p: Adam(p, lr=0.01, weight_decay=0.01)),
    ("adam_amsgrad", lambda p: Adam(p, lr=0.01, amsgrad=True, maximize=True)),
    ("adamw", lambda p: AdamW(p, lr=0.01, amsgrad=True)),
    ("nadam", lambda p: NAdam(p, lr=0.01, weight_decay=0.01, decoupled_weight_decay=True)),
    ("radam", lambda p: RAdam(p, lr=0.01, weight_decay=0.01, maximize=True)),
    ("adamax", lambda p: Adamax(p, lr=0.01, weight_decay=0.01)),
    ("adadelta", lambda p: Adadelta(p, weight_decay=0.01)),
    ("asgd", lambda p: ASGD(p, lr=0.01, t0=2)),
    ("rprop", lambda p: Rprop(p, lr=0.01, maximize=True)),
]
OPTIMIZER_IDS = [name for name, _ in OPTIMIZERS]
MAKERS = [make for _, make in OPTIMIZERS]


def _params(dtype: Any = np.float32) -> list[Parameter]:
    return [Parameter(x) for x in initial_values(dtype)]


def _run(optimizer: Optimizer, params: list[Parameter], start: int, stop: int) -> None:
    for t in range(start, stop):
        for p in params:
            p.grad = npnn.tensor(gradient(p.array, t))
        optimizer.step()


@pytest.mark.parametrize("make", MAKERS, ids=OPTIMIZER_IDS)
def test_update_is_in_place_and_keeps_float32(make: MakeOptimizer) -> None:
    params = _params(np.float32)
    arrays = [p.array for p in params]
    optimizer = make(params)
    _run(optimizer, params, 0, 5)
    for p, array in zip(params, arrays, strict=True):
        assert p.array is array
        assert p.dtype == np.float32
        assert all(v.dtype == np.float32 for v in optimizer.state[p].values()
                   if isinstance(v, np.ndarray))
    assert not np.allclose(params[0].array, initial_values(np.float32)[0])


@pytest.mark.parametrize("make", MAKERS, ids=OPTIMIZER_IDS)
def test_state_lives_in_the_optimizer_not_on_tensors(make: MakeOptimizer) -> None:
    params = _params()
    attributes = [set(vars(p)) | {"_version_box"} for p in params]
    optimizer = make(params)
    _run(optimizer, params, 0, 3)
    assert [set(vars(p)) for p in params] == attributes  # only the version counter, as PyTorch's
    assert all(p._version == 3 for p in params)
    assert set(optimizer.state) <= set(params)


@pytest.mark.parametrize("make", MAKERS, ids=OPTIMIZER_IDS)
def test_parameter_without_grad_is_skipped(make: MakeOptimizer) -> None:
    used, unused = _params()[:2]
    before = unused.array.copy()
    optimizer = make([used, unused])
    used.grad = npnn.tensor(np.ones_like(used.array))
    optimizer.step()
    np.testing.assert_array_equal(unused.array, before)
    assert unused not in optimizer.state


@pytest.mark.parametrize("make", MAKERS, ids=OPTIMIZER_IDS)
@pytest.mark.parametrize("json_keys", [False, True], ids=["int_keys", "str_keys"])
def test_state_dict_round_trip_continues_exactly(make: MakeOptimizer, json_keys: bool) -> None:
    params = _params(np.float64)
    optimizer = make(params)
    _run(optimizer, params, 0, 30)
    saved = optimizer.state_dict()
    saved_values = [p.array.copy() for p in params]
    _run(optimizer, params, 30, 80)  # the uninterrupted run; must not change `saved`

    resumed = [Parameter(v) for v in saved_values]
    fresh = make(resumed)
    if json_keys:  # as after a JSON round trip of the metadata
        saved = {**saved, "state": {str(k): v for k, v in saved["state"].items()}}
    fresh.load_state_dict(saved)
    _run(fresh, resumed, 30, 80)
    for p, q in zip(params, resumed, strict=True):
        np.testing.assert_array_equal(p.array, q.array)


def test_state_dict_format() -> None:
    first, second, third = _params()
    optimizer = Adam([{"params": [first, second]}, {"params": [third], "lr": 0.5}], lr=0.1)
    for p in (second, third):
        p.grad = npnn.tensor(np.ones_like(p.array))
    optimizer.step()
    state = optimizer.state_dict()
    assert [g["params"] for g in state["param_groups"]] == [[0, 1], [2]]
    assert [g["lr"] for g in state["param_groups"]] == [0.1, 0.5]
    assert set(state["state"]) == {1, 2}
    assert state["state"][1]["step"] == 1
    exp_avg = state["state"][1]["exp_avg"]
    assert type(exp_avg) is np.ndarray
    assert not np.shares_memory(exp_avg, optimizer.state[second]["exp_avg"])


def test_load_state_dict_overrides_hyperparameters_and_casts_state() -> None:
    source = Adam(_params(np.float64), lr=0.25, betas=(0.8, 0.99))
    for p in source.param_groups[0]["params"]:
        p.grad = npnn.tensor(np.ones_like(p.array))
    source.step()
    target_params = _params(np.float32)
    target = Adam(target_params, lr=0.001)
    target.load_state_dict(source.state_dict())
    assert target.param_groups[0]["lr"] == 0.25
    assert target.param_groups[0]["betas"] == (0.8, 0.99)
    assert target.param_groups[0]["params"] == target_params
    assert target.state[target_params[0]]["exp_avg"].dtype == np.float32


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: {**s, "param_groups": s["param_groups"] * 2}, "parameter groups"),
        (lambda s: {**s, "param_groups": [{**s["param_groups"][0], "params": [0, 1]}]},
         "group 0 has 3 parameters"),
        (lambda s: {**s, "state": {0: {**s["state"][0], "exp_avg": np.zeros(7)}}}, "shape"),
        (lambda s: {**s, "state": {9: s["state"][0]}}, "parameter 9"),
        # refused before the moments are unscaled by 1 / (1 - beta): no division by zero first
        (lambda s: {**s, "param_groups": [{**s["param_groups"][0], "betas": (1, 0.999)}]},
         "beta parameter at index 0"),
        (lambda s: {**s, "param_groups": [{**s["param_groups"][0], "betas": (0.9, 1.0)}]},
         "beta parameter at index 1"),
    ],
    ids=["group_count", "param_count", "shape", "unknown_index", "beta1_one", "beta2_one"],
)
@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_load_state_dict_rejects_mismatches(change: Callable[[dict], dict], message: str) -> None:
    params = _params()
    optimizer = Adam(params)
    _run(optimizer, params, 0, 1)
    with pytest.raises(ValueError, match=message):
        Adam(_params()).load_state_dict(change(optimizer.state_dict()))


def test_adamw_stays_decoupled_after_loading_an_adam_state() -> None:
    optimizer = AdamW(_params())
    optimizer.load_state_dict(Adam(_params()).state_dict())
    assert optimizer.param_groups[0]["decoupled_weight_decay"] is True


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none: bool) -> None:
    params = _params()
    optimizer = SGD(params)
    grads = [npnn.tensor(np.ones_like(p.array)) for p in params]
    for p, g in zip(params, grads, strict=True):
        p.grad = g
    optimizer.zero_grad(set_to_none=set_to_none)
    for p, g in zip(params, grads, strict=True):
        if set_to_none:
            assert p.grad is None
        else:
            assert p.grad is g
            assert not p.grad.any()


def test_zero_grad_defaults_to_none() -> None:
    param = _params()[0]
    param.grad = npnn.tensor(np.ones_like(param.array))
    SGD([param]).zero_grad()
    assert param.grad is None


def test_param_groups_use_their_own_lr() -> None:
    fast, slow = (Parameter(np.ones(3)) for _ in range(2))
    optimizer = SGD([{"params": [fast]}, {"params": [slow], "lr": 0.01}], lr=0.5, momentum=0.0)
    for p in (fast, slow):
        p.grad = npnn.tensor(np.full(3, 2.0))
    optimizer.step()
    np.testing.assert_array_equal(fast.data, np.zeros(3))
    np.testing.assert_array_equal(slow.array, np.full(3, 0.98))


def test_groups_get_every_default() -> None:
    optimizer = Adam(_params(), lr=0.3)
    group = optimizer.param_groups[0]
    assert {k: v for k, v in group.items() if k != "params"} == optimizer.defaults
    assert group["lr"] == 0.3 and group["betas"] == (0.9, 0.999)


def test_add_param_group() -> None:
    first, second, third = _params()
    optimizer = SGD([first], lr=0.1, momentum=0.9)
    optimizer.add_param_group({"params": second, "lr": 0.01})
    assert optimizer.param_groups[1]["params"] == [second]
    assert optimizer.param_groups[1]["lr"] == 0.01
    assert optimizer.param_groups[1]["momentum"] == 0.9
    optimizer.add_param_group({"params": iter([third])})
    assert optimizer.param_groups[2]["params"] == [third]
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [first]})
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optimizer.add_param_group({"params": [Parameter(np.ones(2))], "lr": -1.0})


@pytest.mark.parametrize("make", MAKERS, ids=OPTIMIZER_IDS)
def test_a_larger_parameter_added_later_is_updated_as_if_alone(make: MakeOptimizer) -> None:
    # the step's scratch buffers (and their cached views) grow to the new largest parameter
    large_values, _, small_values = initial_values(np.float32)
    small, large = Parameter(small_values), Parameter(large_values)
    optimizer = make([small])
    _run(optimizer, [small], 0, 3)
    optimizer.add_param_group({"params": [large]})
    _run(optimizer, [small, large], 3, 6)
    alone_small, alone_large = Parameter(small_values), Parameter(large_values)
    _run(make([alone_small]), [alone_small], 0, 6)
    _run(make([alone_large]), [alone_large], 3, 6)
    np.testing.assert_array_equal(small.array, alone_small.array)
    np.testing.assert_array_equal(large.array, alone_large.array)


BAD_ARGUMENTS: list[tuple[str, MakeOptimizer, type, str]] = [
    ("sgd_lr", lambda p: SGD(p, lr=-0.1), ValueError, "Invalid learning rate"),
    ("sgd_momentum", lambda p: SGD(p, momentum=-0.5), ValueError, "Invalid momentum"),
    ("sgd_weight_decay", lambda p: SGD(p, weight_decay=-1e-4), ValueError, "Invalid weight_decay"),
    ("nesterov_no_momentum", lambda p: SGD(p, nesterov=True), ValueError, "Nesterov momentum"),
    ("nesterov_dampening", lambda p: SGD(p, momentum=0.9, dampening=0.1, nesterov=True),
     ValueError, "Nesterov"),
    ("adam_lr", lambda p: Adam(p, lr=-1e-3), ValueError, "Invalid learning rate"),
    ("adam_lr_nan", lambda p: Adam(p, lr=float("nan")), ValueError, "Invalid learning rate"),
    ("adam_eps", lambda p: Adam(p, eps=-1e-8), ValueError, "Invalid epsilon"),
    ("adam_beta1", lambda p: Adam(p, betas=(1.0, 0.999)), ValueError, "beta parameter at index 0"),
    ("adam_beta2", lambda p: Adam(p, betas=(0.9, -0.1)), ValueError, "beta parameter at index 1"),
    ("adamw_weight_decay", lambda p: AdamW(p, weight_decay=-0.01), ValueError, "weight_decay"),
    ("empty", lambda p: SGD([]), ValueError, "empty parameter list"),
    ("single_tensor", lambda p: SGD(p[0]), TypeError, "single Tensor"),
    ("duplicate", lambda p: SGD([p[0], p[0]]), ValueError, "same parameter twice"),
    ("set", lambda p: SGD({p[0]}), TypeError, "ordered collection"),
    ("group_set", lambda p: SGD([{"params": {p[0]}}]), TypeError, "ordered collection"),
    ("not_tensor", lambda p: SGD([np.ones(3)]), TypeError, "only optimize Tensors"),
    ("non_leaf", lambda p: SGD([p[0] * 2]), ValueError, "non-leaf"),
]


@pytest.mark.parametrize(("case", "make", "error", "message"), BAD_ARGUMENTS,
                         ids=[case[0] for case in BAD_ARGUMENTS])
def test_bad_arguments_raise_clear_errors(case: str, make: MakeOptimizer, error: type,
                                          message: str) -> None:
    with pytest.raises(error, match=message):
        make(_params())


def test_step_runs_the_closure_with_grad_enabled() -> None:
    param = Parameter(np.array([3.0, -4.0]))
    optimizer = SGD([param], lr=0.25)

    def closure() -> Any:
        optimizer.zero_grad()
        loss = (param * param).sum()
        loss.backward()
        return loss

    with npnn.no_grad():
        loss = optimizer.step(closure)
    assert loss.item() == 25.0
    np.testing.assert_array_equal(param.array, [1.5, -2.0])  # p - 0.25 * 2p


def test_adam_flushes_subnormal_moments() -> None:
    param = Parameter(np.ones(4, dtype=np.float32))
    optimizer = Adam([param])
    tiny = np.finfo(np.float32).tiny
    for step in range(1, 201):
        param.grad = npnn.tensor(np.full(4, 1e-30 if step == 1 else 0.0, dtype=np.float32))
        optimizer.step()
        exp_avg = optimizer.state[param]["exp_avg"]
        if step == 199:  # 1e-31 * 0.9**198 has decayed below the smallest normal float32
            assert 0 < exp_avg[0] < tiny
    assert not exp_avg.any()
