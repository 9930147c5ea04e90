"""Where a resumed run picks up: the position, weights, optimizer and history of its last
checkpoint, or step 0 again when that checkpoint was never written, keeping the old best model.

Apart from the Trainer so that its loop sees only a Position and a History, not the cases of
a resume.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from npnn.nn.module import Module
from npnn.optim.lr_scheduler import LRScheduler
from npnn.optim.optimizer import Optimizer
from npnn.serialization import CheckpointError, is_number
from npnn.training import checkpoint
from npnn.training.history import EvalRecord, History
from npnn.training.run_dir import CREATED, RunDir


@dataclass
class CheckpointFile:
    """A checkpoint as a resume reads it, once: its path, (state, metadata) as loaded."""

    path: Path
    state: Any
    metadata: dict[str, Any]


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


def read_checkpoint(run: RunDir) -> CheckpointFile | None:
    """The checkpoint a resume goes on from, read and checked once: last.safetensors, else the
    best.safetensors that a run starting again keeps; None when there is neither."""
    if run.last.exists():
        return CheckpointFile(run.last, *checkpoint.read_last(run.last))
    if run.best.exists():
        return CheckpointFile(run.best, *checkpoint.load_best(run.best))
    return None


def restore_last(run: RunDir, stored: CheckpointFile, model: Module, optimizer: Optimizer,
                 scheduler: LRScheduler | None, status: dict[str, Any], keep_settings: bool = False
                 ) -> tuple[Position, History]:
    """Load last.safetensors (`stored`, its settings checked against config.json already) into the
    model, optimizer and scheduler; the position it saved and the history up to its step. With
    `keep_settings`, the optimizer's and the schedule's settings stay those of this (changed)
    config."""
    try:
        state = checkpoint.load_last(stored.path, model, optimizer, scheduler, None, run.config,
                                     keep_settings=keep_settings, read=(stored.state, stored.metadata))
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


def kept_best(run: RunDir, stored: CheckpointFile | None) -> tuple[EvalRecord | None, str]:
    """The evaluation of the best.safetensors (`stored`) a restarted run keeps until a better
    model replaces it (None when there is none), and a note saying so for its log."""
    record = _evaluation(stored.metadata) if stored is not None and stored.path == run.best else None
    if record is None:
        return None, ""
    return record, (f"; {run.best.name} (validation accuracy {record.val_accuracy:.2%} at step "
                    f"{record.step}) is kept until a better model replaces it")


def still_kept(run: RunDir, accuracy: float) -> EvalRecord | None:
    """The evaluation of the best.safetensors that a run restarted earlier kept (with validation
    accuracy `accuracy`, -1 for none), while it is still the one on disk; None otherwise."""
    if accuracy < 0 or not run.best.exists():
        return None
    try:
        _, metadata = checkpoint.load_best(run.best)
    except CheckpointError:
        return None  # `npnn test` names the damage, unless training replaces the file first
    record = _evaluation(metadata)
    return record if record is not None and record.val_accuracy == accuracy else None


def _evaluation(metadata: dict[str, Any]) -> EvalRecord | None:
    """The evaluation record in a best checkpoint's metadata, if it holds a whole one."""
    record = metadata.get("evaluation")
    fields = [field.name for field in dataclasses.fields(EvalRecord)]
    if not isinstance(record, dict) or set(record) != set(fields) or not all(
            is_number(value) for value in record.values()) or not math.isfinite(record["val_accuracy"]):
        return None
    return EvalRecord(**record)
