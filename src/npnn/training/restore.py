"""Where a resumed run picks up: the position, weights, optimizer and history of its last
checkpoint, or step 0 again when that checkpoint was never written, keeping the old best model.

Apart from the Trainer so that its loop sees only a Position and a History, not the cases of
a resume.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from npnn.nn.module import Module
from npnn.optim.lr_scheduler import LRScheduler
from npnn.optim.optimizer import Optimizer
from npnn.serialization import CheckpointError, is_number
from npnn.training import checkpoint
from npnn.training.config import TrainConfig
from npnn.training.history import History
from npnn.training.run_dir import CREATED, RunDir


@dataclass
class Position:
    """Where training stands; saved in the last checkpoint so a resumed run continues exactly."""

    epoch: int = 0
    batch: int = 0
    step: int = 0
    loss_sum: float = 0.0
    loss_count: int = 0
    best_accuracy: float = -1.0
    evals_since_best: int = 0
    # a run that started again from scratch keeps its old best.safetensors until this is beaten
    kept_best_accuracy: float = -1.0
    seconds: float = 0.0


def restart_reason(run: RunDir, state: str) -> str | None:
    """Why a run in `state` starts again from scratch: it trained, but its last checkpoint was
    never written (killed, or a full disk, before the first one) or is gone; None otherwise."""
    if not run.last.exists() and state != CREATED and (run.history.exists() or run.best.exists()):
        return (f"{run.last.name} is missing (status {state!r}), so {run.path} starts again "
                "from scratch in the same directory")
    return None


def restore_last(run: RunDir, model: Module, optimizer: Optimizer, scheduler: LRScheduler | None,
                 config: TrainConfig, status: dict[str, Any], force: bool = False,
                 keep_settings: bool = False) -> tuple[Position, History]:
    """Load last.safetensors into the model, optimizer and scheduler; the position it saved and
    the history up to its step. With `keep_settings`, the optimizer's and the schedule's
    settings stay those of this (changed) config."""
    try:
        state = checkpoint.load_last(run.last, model, optimizer, scheduler,
                                     None if force else config.to_dict(), run.config,
                                     keep_settings=keep_settings)
        position = Position(**state)
    except CheckpointError:
        raise
    except TypeError as error:  # a position field this version does not know
        raise CheckpointError(f"{run.last}: damaged trainer state ({error})") from None
    except (RuntimeError, ValueError, KeyError) as error:
        raise CheckpointError(f"{run.config} does not match {run.last} ({error}); put back the "
                              "settings the run was trained with") from None
    if keep_settings and scheduler is not None:
        for _ in range(position.step):  # the schedule is a function of the step
            scheduler.step()
    seconds = status.get("seconds")
    if isinstance(seconds, (int, float)) and math.isfinite(seconds):
        # time spent on steps lost to a crash still counts; the clock never goes back
        position.seconds = max(position.seconds, float(seconds))
    history = History()
    if run.history.exists():
        history = History.load(run.history)
        # evaluations written after the checkpoint will be redone identically
        history.records = [r for r in history.records if r.step <= position.step]
    return position, history


def kept_best(run: RunDir) -> tuple[float, str]:
    """The validation accuracy of the best.safetensors a restarted run keeps until a better
    model replaces it (-1 when there is none), and a note saying so for its log."""
    if run.best.exists():
        _, metadata = checkpoint.load_best(run.best)
        record = metadata.get("evaluation") or {}
        accuracy = record.get("val_accuracy") if isinstance(record, dict) else None
        if is_number(accuracy) and math.isfinite(accuracy):
            return float(accuracy), (f"; {run.best.name} (validation accuracy {accuracy:.2%} at "
                                     f"step {record.get('step', '?')}) is kept until a better "
                                     "model replaces it")
    return -1.0, ""
