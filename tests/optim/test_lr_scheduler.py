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
