"""Scheduler parity with torch.optim.lr_scheduler: 200-step lr trajectories, two param groups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from optim_cases import SCHEDULER_CASES, STEPS, advance, make_optimizer

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")


def _trajectory(lib: Any, make_param: Callable[[np.ndarray], Any],
                build: Callable[[Any, Any], Any], sign: float | None) -> np.ndarray:
    optimizer = make_optimizer(lib, make_param)
    scheduler = build(lib.optim.lr_scheduler, optimizer)
    initial = [list(scheduler.get_last_lr()) + [g["lr"] for g in optimizer.param_groups]]
    return np.array(initial + advance(optimizer, scheduler, sign, 0, STEPS))


@pytest.mark.parametrize(("case", "build", "sign"), SCHEDULER_CASES,
                         ids=[case[0] for case in SCHEDULER_CASES])
def test_lr_trajectory_matches_torch(case: str, build: Callable[[Any, Any], Any],
                                     sign: float | None) -> None:
    ours = _trajectory(npnn, npnn.nn.Parameter, build, sign)
    theirs = _trajectory(torch, lambda x: torch.nn.Parameter(torch.from_numpy(x)), build, sign)
    assert len(np.unique(ours[:, 0])) > 1, "the case should change the lr"
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
