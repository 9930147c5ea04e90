"""Tables shared by the optimizer and scheduler tests: a deterministic problem and scheduler cases.

The scheduler builders take the scheduler module (npnn's or torch's) and an optimizer, so
one table drives both the pure-npnn tests and the torch comparisons.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

SHAPES = [(6, 5), (5,), (1,)]
STEPS = 200


def initial_values(dtype: Any) -> list[np.ndarray]:
    """Fixed starting values for the parameters, one array per shape in SHAPES."""
    rng = np.random.default_rng(0)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


@functools.cache
def _quadratic(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    m = rng.standard_normal((n, n))
    return m @ m.T / n + 0.5 * np.eye(n), rng.standard_normal(n)


def gradient(x: np.ndarray, t: int) -> np.ndarray:
    """A deterministic non-linear gradient at step t: A x - b + 0.5 sin(3x) + a drift.

    Every 7th entry stops receiving gradient (exactly 0) after step 20, like never-lit inputs.
    """
    flat = np.asarray(x, dtype=np.float64).ravel()
    a, b = _quadratic(flat.size)
    grad = a @ flat - b + 0.5 * np.sin(3 * flat) + 0.1 * np.cos(0.3 * t)
    grad[::7] *= t < 20
    return grad.reshape(x.shape).astype(x.dtype)


def metric(t: int, sign: float = 1.0) -> float:
    """A validation-loss-like sequence: falls, then plateaus with small noise."""
    return sign * (max(0.2, 1.0 - 0.01 * t) + 0.002 * ((t * 37) % 11 - 5))


def _sequential_warmup_cosine(m: Any, opt: Any) -> Any:
    warmup = m.LinearLR(opt, start_factor=0.1, total_iters=10)
    return m.SequentialLR(opt, [warmup, m.CosineAnnealingLR(opt, T_max=190)], milestones=[10])


def _sequential_three(m: Any, opt: Any) -> Any:
    schedulers = [m.LinearLR(opt), m.ExponentialLR(opt, gamma=0.97), m.StepLR(opt, 25, gamma=0.5)]
    return m.SequentialLR(opt, schedulers, milestones=[5, 60])


# (id, build(scheduler_module, optimizer), metric sign for ReduceLROnPlateau or None)
SCHEDULER_CASES: list[tuple[str, Callable[[Any, Any], Any], float | None]] = [
    ("step", lambda m, o: m.StepLR(o, step_size=30, gamma=0.5), None),
    ("multistep", lambda m, o: m.MultiStepLR(o, milestones=[30, 80, 80, 150], gamma=0.5), None),
    ("exponential", lambda m, o: m.ExponentialLR(o, gamma=0.98), None),
    ("cosine_periodic", lambda m, o: m.CosineAnnealingLR(o, T_max=50, eta_min=1e-4), None),
    ("cosine_full", lambda m, o: m.CosineAnnealingLR(o, T_max=STEPS), None),
    ("linear_default", lambda m, o: m.LinearLR(o), None),
    ("linear_custom", lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.5,
                                               total_iters=20), None),
    ("lambda", lambda m, o: m.LambdaLR(o, lambda epoch: 0.95**epoch), None),
    ("sequential_warmup_cosine", _sequential_warmup_cosine, None),
    ("sequential_three", _sequential_three, None),
    ("plateau_min_rel", lambda m, o: m.ReduceLROnPlateau(o, patience=5), 1.0),
    ("plateau_min_abs", lambda m, o: m.ReduceLROnPlateau(
        o, factor=0.5, patience=2, threshold=1e-3, threshold_mode="abs", cooldown=3), 1.0),
    ("plateau_max_rel", lambda m, o: m.ReduceLROnPlateau(
        o, mode="max", factor=0.5, patience=3, min_lr=[1e-3, 1e-4]), -1.0),
    ("plateau_max_abs", lambda m, o: m.ReduceLROnPlateau(
        o, mode="max", factor=0.3, patience=0, threshold_mode="abs", min_lr=2e-3,
        eps=1e-3), -1.0),
]


def make_optimizer(lib: Any, make_param: Callable[[np.ndarray], Any]) -> Any:
    """An SGD over two param groups (lr 0.1 and 0.02) from `lib` (npnn or torch)."""
    first, second = (make_param(np.zeros(2)) for _ in range(2))
    return lib.optim.SGD([{"params": [first]}, {"params": [second], "lr": 0.02}], lr=0.1)


def advance(optimizer: Any, scheduler: Any, sign: float | None, start: int,
            stop: int) -> list[list[float]]:
    """Steps start..stop-1 of the usual loop; per step: get_last_lr() and each group's lr."""
    lrs = []
    for t in range(start, stop):
        optimizer.step()
        if sign is None:
            scheduler.step()
        else:
            scheduler.step(metric(t, sign))
        lrs.append(list(scheduler.get_last_lr()) + [g["lr"] for g in optimizer.param_groups])
    return lrs
