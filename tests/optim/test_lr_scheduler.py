"""Scheduler behaviour that needs no PyTorch: initial step, known values, state_dict, errors."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from optim_cases import SCHEDULER_CASES, STEPS, advance, make_optimizer

import npnn
from npnn.nn import Parameter
from npnn.optim import SGD, lr_scheduler


def _optimizer() -> SGD:
    return make_optimizer(npnn, Parameter)


def _lrs(scheduler: lr_scheduler.LRScheduler, steps: int) -> list[float]:
    """The first group's lr at epochs 0..steps-1."""
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(steps - 1):
        scheduler.optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    return lrs


@pytest.mark.parametrize(("case", "build", "sign"), SCHEDULER_CASES,
                         ids=[case[0] for case in SCHEDULER_CASES])
def test_state_dict_round_trip_continues_exactly(case: str, build: Callable[[Any, Any], Any],
                                                 sign: float | None) -> None:
    optimizer = _optimizer()
    scheduler = build(lr_scheduler, optimizer)
    advance(optimizer, scheduler, sign, 0, 70)
    saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()
    assert "optimizer" not in saved_scheduler
    expected = advance(optimizer, scheduler, sign, 70, STEPS)

    fresh_optimizer = _optimizer()
    fresh_scheduler = build(lr_scheduler, fresh_optimizer)
    fresh_scheduler.load_state_dict(saved_scheduler)
    fresh_optimizer.load_state_dict(saved_optimizer)
    assert advance(fresh_optimizer, fresh_scheduler, sign, 70, STEPS) == expected


def test_construction_records_initial_lr_and_takes_the_initial_step() -> None:
    optimizer = _optimizer()
    scheduler = lr_scheduler.LinearLR(optimizer, start_factor=0.5, total_iters=4)
    assert scheduler.last_epoch == 0
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.1, 0.02]
    assert scheduler.base_lrs == [0.1, 0.02]
    assert scheduler.get_last_lr() == [0.05, 0.01]
    assert [g["lr"] for g in optimizer.param_groups] == [0.05, 0.01]


def test_schedulers_only_write_lr() -> None:
    optimizer = _optimizer()
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    before = [{k: v for k, v in g.items() if k != "lr"} for g in optimizer.param_groups]
    _lrs(scheduler, 15)
    assert [{k: v for k, v in g.items() if k != "lr"} for g in optimizer.param_groups] == before


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
         lambda e: 0.1 * 0.5 ** (e // 3)),
        (lambda o: lr_scheduler.MultiStepLR(o, milestones=[2, 5, 5], gamma=0.1),
         lambda e: 0.1 * 0.1 ** ((e >= 2) + 2 * (e >= 5))),
        (lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9), lambda e: 0.1 * 0.9**e),
        (lambda o: lr_scheduler.LinearLR(o), lambda e: 0.1 * (1 / 3 + 2 / 3 * min(e, 5) / 5)),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=8, eta_min=0.01),
         lambda e: 0.01 + 0.09 * (1 + math.cos(math.pi * e / 8)) / 2),
        (lambda o: lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1)), lambda e: 0.1 / (e + 1)),
    ],
    ids=["step", "multistep", "exponential", "linear", "cosine", "lambda"],
)
def test_lrs_follow_the_closed_form(build: Callable[[Any], Any],
                                    expected: Callable[[int], float]) -> None:
    lrs = _lrs(build(_optimizer()), 20)
    np.testing.assert_allclose(lrs, [expected(e) for e in range(20)], rtol=1e-12, atol=1e-15)


def test_sequential_warmup_then_cosine() -> None:
    optimizer = _optimizer()
    warmup = lr_scheduler.LinearLR(optimizer, start_factor=0.25, total_iters=4)
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=6)
    scheduler = lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[4])
    expected = [0.1 * (0.25 + 0.75 * e / 4) for e in range(4)]
    expected += [0.1 * (1 + math.cos(math.pi * e / 6)) / 2 for e in range(7)]
    np.testing.assert_allclose(_lrs(scheduler, 11), expected, rtol=1e-12, atol=1e-15)


def test_reduce_on_plateau_waits_for_patience_then_cools_down() -> None:
    optimizer = _optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2, cooldown=1,
                                               min_lr=0.02)
    lrs = []
    for _ in range(9):
        scheduler.step(npnn.tensor(1.0))  # never improves after the first epoch
        lrs.append(scheduler.get_last_lr())
    first = [lr[0] for lr in lrs]
    assert first == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025]
    assert all(lr[1] == 0.02 for lr in lrs)  # already at min_lr


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda o: lr_scheduler.StepLR("not an optimizer", 3), TypeError, "not an Optimizer"),
        (lambda o: lr_scheduler.StepLR(o, step_size=0), ValueError, "step_size"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
        (lambda o: lr_scheduler.LinearLR(o, start_factor=0), ValueError, "Starting"),
        (lambda o: lr_scheduler.LinearLR(o, end_factor=1.5), ValueError, "Ending"),
        (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]), ValueError, "2 lr_lambdas"),
        (lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9, last_epoch=3), KeyError,
         "initial_lr"),
        (lambda o: lr_scheduler.SequentialLR(o, [], milestones=[]), ValueError, "at least one"),
        (lambda o: lr_scheduler.SequentialLR(
            o, [lr_scheduler.StepLR(o, 2), lr_scheduler.StepLR(o, 3)], milestones=[]),
         ValueError, "one milestone fewer"),
        (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(_optimizer(), 2)], []),
         ValueError, "same optimizer"),
        (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ReduceLROnPlateau(o)], []),
         ValueError, "ReduceLROnPlateau"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="up"), ValueError, "mode"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError,
         "threshold mode"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.0]), ValueError, "2 min_lrs"),
    ],
    ids=["not_optimizer", "step_size", "t_max", "start_factor", "end_factor", "lambdas",
         "resume_without_initial_lr", "no_schedulers", "milestones", "other_optimizer",
         "plateau_in_sequential", "factor", "mode", "threshold_mode", "min_lrs"],
)
def test_bad_arguments_raise_clear_errors(build: Callable[[Any], Any], error: type,
                                          message: str) -> None:
    with pytest.raises(error, match=message):
        build(_optimizer())


CLOSED_CASES = [case for case in SCHEDULER_CASES if case[2] is None]
PLATEAU_CASES = [case for case in SCHEDULER_CASES if case[2] is not None]


@pytest.mark.parametrize(("case", "build", "sign"), CLOSED_CASES, ids=[case[0] for case in CLOSED_CASES])
def test_lrs_at_equals_stepping_exactly_and_changes_nothing(case: str, build: Callable[[Any, Any], Any],
                                                            sign: None) -> None:
    optimizer = _optimizer()
    scheduler = build(lr_scheduler, optimizer)
    epochs = [STEPS, 0, 3, 3, *range(1, STEPS)]  # any order, repeats allowed
    before = (scheduler.state_dict(), optimizer.state_dict())
    ahead = scheduler.lrs_at(epochs)
    assert (scheduler.state_dict(), optimizer.state_dict()) == before  # read, not stepped

    stepped = {0: [g["lr"] for g in optimizer.param_groups]}
    stepped.update({t + 1: lrs[2:] for t, lrs in enumerate(advance(optimizer, scheduler, sign, 0, STEPS))})
    assert ahead == [stepped[epoch] for epoch in epochs]  # bit for bit
    assert scheduler.lr_at(STEPS) == stepped[STEPS]  # from the current epoch on
    with pytest.raises(ValueError, match=f"before the scheduler's current epoch {STEPS}"):
        scheduler.lr_at(STEPS - 1)

    closed = scheduler.lrs_at(range(STEPS + 1), closed_form=True)  # any epoch, to rounding
    np.testing.assert_allclose(closed, [stepped[e] for e in range(STEPS + 1)], rtol=1e-9, atol=1e-15)
    assert scheduler.last_epoch == STEPS


def test_lrs_at_continues_a_resumed_scheduler() -> None:
    optimizer = _optimizer()
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=30)
    advance(optimizer, scheduler, None, 0, 12)
    ahead = scheduler.lrs_at(range(12, 40))
    assert ahead == [[g["lr"] for g in optimizer.param_groups]] + [
        lrs[2:] for lrs in advance(optimizer, scheduler, None, 12, 39)]


@pytest.mark.parametrize(("case", "build", "sign"), PLATEAU_CASES, ids=[case[0] for case in PLATEAU_CASES])
def test_reduce_on_plateau_has_no_schedule_to_read(case: str, build: Callable[[Any, Any], Any],
                                                   sign: float) -> None:
    scheduler = build(lr_scheduler, _optimizer())
    for closed_form in (False, True):
        with pytest.raises(NotImplementedError, match=r"ReduceLROnPlateau .* depends on the metrics"):
            scheduler.lr_at(3, closed_form=closed_form)
