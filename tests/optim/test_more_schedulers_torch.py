"""CosineAnnealingWarmRestarts, CyclicLR, PolynomialLR, ConstantLR, MultiplicativeLR and
ChainedScheduler against torch.optim.lr_scheduler: 200-step lr (and momentum) trajectories, alone
and inside SequentialLR/ChainedScheduler, state_dict round trips, fractional epochs, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from optim_cases import STEPS, advance, make_optimizer

import npnn
from npnn.nn import Parameter
from npnn.optim import lr_scheduler

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
# torch's own SequentialLR steps a chain at construction, before any optimizer.step()
pytestmark = pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step..`:UserWarning")


def _adam(lib: Any, make_param: Callable[[np.ndarray], Any]) -> Any:
    first, second = (make_param(np.zeros(2)) for _ in range(2))
    return lib.optim.Adam([{"params": [first]}, {"params": [second], "lr": 0.02}], lr=0.1)


def _sgd_momentum(lib: Any, make_param: Callable[[np.ndarray], Any]) -> Any:
    first, second = (make_param(np.zeros(2)) for _ in range(2))
    return lib.optim.SGD([{"params": [first]}, {"params": [second], "lr": 0.02}], lr=0.1, momentum=0.9)


class Halving:
    """A callable object with state, which torch's state_dict keeps (its __dict__)."""

    def __init__(self) -> None:
        self.base = 0.5

    def __call__(self, x: float) -> float:
        return self.base ** (x - 1)


# (id, build(scheduler_module, optimizer), optimizer factory)
CASES: list[tuple[str, Callable[[Any, Any], Any], Callable[..., Any]]] = [
    ("warm_restarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10), make_optimizer),
    ("warm_restarts_mult", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7, T_mult=2, eta_min=1e-3),
     make_optimizer),
    ("cyclic_triangular", lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10),
     _sgd_momentum),
    ("cyclic_triangular2", lambda m, o: m.CyclicLR(o, base_lr=[0.01, 0.001], max_lr=[0.1, 0.05],
                                                   step_size_up=7, step_size_down=13,
                                                   mode="triangular2"), _sgd_momentum),
    ("cyclic_exp_range_adam", lambda m, o: m.CyclicLR(o, 0.001, 0.01, step_size_up=9, mode="exp_range",
                                                      gamma=0.99, base_momentum=0.85,
                                                      max_momentum=0.95), _adam),
    ("cyclic_scale_fn_iterations", lambda m, o: m.CyclicLR(o, 0.001, 0.01, step_size_up=5,
                                                           scale_fn=lambda x: 0.999**x,
                                                           scale_mode="iterations",
                                                           cycle_momentum=False), make_optimizer),
    ("cyclic_scale_object", lambda m, o: m.CyclicLR(o, 0.001, 0.01, step_size_up=6, scale_fn=Halving(),
                                                    cycle_momentum=False), make_optimizer),
    ("polynomial", lambda m, o: m.PolynomialLR(o, total_iters=50, power=2.0), make_optimizer),
    ("polynomial_default", lambda m, o: m.PolynomialLR(o), make_optimizer),
    ("constant", lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=30), make_optimizer),
    ("constant_default", lambda m, o: m.ConstantLR(o), make_optimizer),
    ("multiplicative", lambda m, o: m.MultiplicativeLR(o, lambda epoch: 0.98), make_optimizer),
    ("multiplicative_per_group", lambda m, o: m.MultiplicativeLR(
        o, [lambda epoch: 0.99, lambda epoch: 1.0 if epoch % 10 else 0.5]), make_optimizer),
    ("chained", lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.1, total_iters=20),
                                                 m.ExponentialLR(o, gamma=0.98)]), make_optimizer),
    ("chained_three", lambda m, o: m.ChainedScheduler([
        m.LinearLR(o, start_factor=0.2, total_iters=15), m.StepLR(o, 40, gamma=0.5),
        m.PolynomialLR(o, total_iters=150, power=0.5)], o), make_optimizer),
    ("sequential_constant_restarts", lambda m, o: m.SequentialLR(o, [
        m.ConstantLR(o, factor=0.5, total_iters=10),
        m.CosineAnnealingWarmRestarts(o, T_0=20, T_mult=2)], milestones=[15]), make_optimizer),
    # a chain can run first (after a milestone, torch's SequentialLR raises NotImplementedError)
    ("sequential_chained_first", lambda m, o: m.SequentialLR(o, [
        m.ChainedScheduler([m.PolynomialLR(o, total_iters=100, power=1.5),
                            m.MultiplicativeLR(o, lambda epoch: 0.995)]),
        m.ExponentialLR(o, gamma=0.97)], milestones=[40]), make_optimizer),
    ("sequential_polynomial_cyclic", lambda m, o: m.SequentialLR(o, [
        m.PolynomialLR(o, total_iters=20), m.CyclicLR(o, 0.001, 0.01, step_size_up=8)],
        milestones=[30]), _sgd_momentum),
]
IDS = [case[0] for case in CASES]


def _momenta(optimizer: Any) -> list[float]:
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in optimizer.param_groups]


def _trajectory(lib: Any, make_param: Callable[[np.ndarray], Any], build: Callable[[Any, Any], Any],
                make: Callable[..., Any]) -> np.ndarray:
    optimizer = make(lib, make_param)
    scheduler = build(lib.optim.lr_scheduler, optimizer)
    rows = [list(scheduler.get_last_lr()) + [g["lr"] for g in optimizer.param_groups] + _momenta(optimizer)]
    for _ in range(STEPS):
        optimizer.step()
        scheduler.step()
        rows.append(list(scheduler.get_last_lr()) + [g["lr"] for g in optimizer.param_groups]
                    + _momenta(optimizer))
    return np.array(rows)


def _torch_parameter(x: np.ndarray) -> Any:
    return torch.nn.Parameter(torch.from_numpy(x))


@pytest.mark.parametrize(("case", "build", "make"), CASES, ids=IDS)
def test_lr_and_momentum_trajectory_matches_torch(case: str, build: Callable[[Any, Any], Any],
                                                  make: Callable[..., Any]) -> None:
    ours = _trajectory(npnn, Parameter, build, make)
    theirs = _trajectory(torch, _torch_parameter, build, make)
    assert len(np.unique(ours[:, 0])) > 1, "the case should change the lr"
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


@pytest.mark.parametrize(("case", "build", "make"), CASES, ids=IDS)
def test_state_dict_round_trip_continues_exactly(case: str, build: Callable[[Any, Any], Any],
                                                 make: Callable[..., Any]) -> None:
    optimizer = make(npnn, Parameter)
    scheduler = build(lr_scheduler, optimizer)
    advance(optimizer, scheduler, None, 0, 70)
    saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()
    assert "optimizer" not in saved_scheduler
    expected = advance(optimizer, scheduler, None, 70, STEPS)

    fresh_optimizer = make(npnn, Parameter)
    fresh_scheduler = build(lr_scheduler, fresh_optimizer)
    fresh_scheduler.load_state_dict(saved_scheduler)
    fresh_optimizer.load_state_dict(saved_optimizer)
    assert advance(fresh_optimizer, fresh_scheduler, None, 70, STEPS) == expected


@pytest.mark.parametrize(("case", "build", "make"), CASES, ids=IDS)
def test_state_dict_keys_match_torch(case: str, build: Callable[[Any, Any], Any],
                                     make: Callable[..., Any]) -> None:
    ours = build(lr_scheduler, make(npnn, Parameter)).state_dict()
    theirs = build(torch.optim.lr_scheduler, make(torch, _torch_parameter)).state_dict()
    assert set(ours) - {"_is_initial"} == set(theirs) - {"_get_lr_called_within_step", "_is_initial"}


def test_cyclic_scale_object_state_is_saved_and_restored_as_torch() -> None:
    optimizer = make_optimizer(npnn, Parameter)
    scale = Halving()
    scheduler = lr_scheduler.CyclicLR(optimizer, 0.001, 0.01, step_size_up=6, scale_fn=scale,
                                      cycle_momentum=False)
    scale.base = 0.25
    saved = scheduler.state_dict()
    assert saved["_scale_fn_custom"] == {"base": 0.25}
    other = Halving()
    lr_scheduler.CyclicLR(make_optimizer(npnn, Parameter), 0.001, 0.01, scale_fn=other,
                          cycle_momentum=False).load_state_dict(saved)
    assert other.base == 0.25


@pytest.mark.parametrize("epochs", [
    [0.5, 1.25, 3.0, 9.99, 10.0, 10.5, 25.3, 70.0, 71.5, 200.25],
    [i / 4 for i in range(120)],
    [3, 1, 12, 0.1, 40, 6.5],  # back and forth, as torch allows
])
@pytest.mark.parametrize("t_mult", [1, 2, 3])
def test_warm_restarts_fractional_epochs_match_torch(epochs: list[float], t_mult: int) -> None:
    def run(lib: Any, make_param: Callable[[np.ndarray], Any]) -> list[Any]:
        optimizer = make_optimizer(lib, make_param)
        scheduler = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=5, T_mult=t_mult,
                                                                       eta_min=1e-4)
        rows = []
        for i, epoch in enumerate(epochs):
            optimizer.step()
            scheduler.step(epoch)
            if i % 3 == 2:
                scheduler.step()  # mixing stepped and given epochs, as torch allows
            rows.append([*scheduler.get_last_lr(), scheduler.T_cur, scheduler.T_i, scheduler.last_epoch])
        return rows

    np.testing.assert_allclose(run(npnn, Parameter), run(torch, _torch_parameter), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("case", "build", "make"), CASES, ids=IDS)
def test_lrs_at_equals_stepping(case: str, build: Callable[[Any, Any], Any],
                                make: Callable[..., Any]) -> None:
    optimizer = make(npnn, Parameter)
    scheduler = build(lr_scheduler, optimizer)
    if case.startswith("chained"):  # a chain has no epoch count of its own
        with pytest.raises(NotImplementedError, match="ChainedScheduler"):
            scheduler.lrs_at(range(5))
        return
    ahead = scheduler.lrs_at(range(1, 60))
    if "chained" in case:  # the chain inside has no formula
        with pytest.raises(NotImplementedError, match="ChainedScheduler has no closed form"):
            scheduler.lrs_at(range(1, 60), closed_form=True)
        closed = ahead
    else:
        closed = scheduler.lrs_at(range(1, 60), closed_form=True)
    stepped = [lrs[2:] for lrs in advance(optimizer, scheduler, None, 0, 59)]
    assert ahead == stepped
    np.testing.assert_allclose(closed, stepped, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize(("build", "error"), [
    (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0), ValueError),
    (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2.5), ValueError),
    (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0), ValueError),
    (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, eta_min="0"), ValueError),
    (lambda m, o: m.CyclicLR(o, 0.01, 0.1, mode="triangle"), ValueError),
    (lambda m, o: m.CyclicLR(o, [0.01], 0.1), ValueError),
    (lambda m, o: m.ConstantLR(o, factor=1.5), ValueError),
    (lambda m, o: m.MultiplicativeLR(o, [lambda e: 1.0]), ValueError),
    (lambda m, o: m.MultiplicativeLR(o, 0.9), TypeError),
    (lambda m, o: m.ChainedScheduler([]), ValueError),
    (lambda m, o: m.ChainedScheduler([m.ReduceLROnPlateau(o)]), ValueError),
])
def test_bad_arguments_raise_torchs_errors(build: Callable[[Any, Any], Any], error: type) -> None:
    with pytest.raises(error) as theirs:
        build(torch.optim.lr_scheduler, make_optimizer(torch, _torch_parameter))
    with pytest.raises(error) as ours:
        build(lr_scheduler, make_optimizer(npnn, Parameter))
    assert str(theirs.value).split(",")[0].split(":")[0] in str(ours.value)


def test_cyclic_momentum_needs_an_optimizer_with_momentum() -> None:
    optimizer = npnn.optim.Adagrad([Parameter(np.zeros(2))])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        lr_scheduler.CyclicLR(optimizer, 0.01, 0.1)
    lr_scheduler.CyclicLR(optimizer, 0.01, 0.1, cycle_momentum=False)  # fine without
    with pytest.raises(ValueError, match="Expected non-negative epoch"):
        lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=3).step(-1)


@pytest.mark.parametrize(("case", "build", "make"), CASES, ids=IDS)
def test_torch_state_dicts_load_into_npnn_and_continue(case: str, build: Callable[[Any, Any], Any],
                                                      make: Callable[..., Any]) -> None:
    torch_optimizer = make(torch, _torch_parameter)
    torch_scheduler = build(torch.optim.lr_scheduler, torch_optimizer)
    advance(torch_optimizer, torch_scheduler, None, 0, 70)
    optimizer = make(npnn, Parameter)
    scheduler = build(lr_scheduler, optimizer)
    optimizer.load_state_dict(torch_optimizer.state_dict())  # SGD and Adam here hold no tensors
    scheduler.load_state_dict(torch_scheduler.state_dict())
    ours = advance(optimizer, scheduler, None, 70, STEPS)
    np.testing.assert_allclose(ours, advance(torch_optimizer, torch_scheduler, None, 70, STEPS),
                               rtol=1e-12, atol=0)
