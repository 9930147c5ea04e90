"""`Trainer`: runs one configuration and keeps its run directory up to date.

It orchestrates small collaborators (the recipe, metrics, history, checkpoints, restore, a
reporter) and hands each of them one plain record per evaluation.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from npnn import random
from npnn._tensor import Tensor
from npnn.data import ArrayDataset, DataLoader, Normalization
from npnn.nn.utils import clip_grad_norm_
from npnn.serialization import atomic_write_json, atomic_write_text
from npnn.training import checkpoint
from npnn.training.config import ConfigError, TrainConfig
from npnn.training.datasets import augmentation, load_datasets
from npnn.training.errors import (
    MachineFault,
    ResumeError,
    RunCompleteError,
    TrainingStoppedError,
    machine_fault,
)
from npnn.training.history import EvalRecord, History
from npnn.training.machine import machine_info
from npnn.training.memory import check_memory, check_memory_to_resume
from npnn.training.metrics import evaluate
from npnn.training.recipe import Recipe, describe_model
from npnn.training.reporter import Reporter
from npnn.training.restore import (
    Position,
    kept_best,
    read_checkpoint,
    restart_reason,
    restore_last,
    still_kept,
)
from npnn.training.resume_checks import check_resumable, check_settings, resumed_config
from npnn.training.run_dir import (
    COMPLETE,
    CREATED,
    DIVERGED,
    EARLY_STOPPED,
    FAILED,
    FINISHED,
    INTERRUPTED,
    RUNNING,
    RunDir,
    check_run_id_free,
    create_run_dir,
    open_run_dir,
)
from npnn.training.run_lock import RunLock

__all__ = ["COMPLETE", "CREATED", "DIVERGED", "EARLY_STOPPED", "FAILED", "FINISHED", "INTERRUPTED",
           "RUNNING", "FitResult", "ResumeError", "RunCompleteError", "Trainer", "TrainingStoppedError",
           "load_datasets"]


@dataclass
class FitResult:
    status: str
    run_dir: Path
    steps: int
    seconds: float
    best: EvalRecord | None
    detail: dict[str, Any] = field(default_factory=dict)


class Trainer:
    """Train `config` on (train, val) datasets, writing everything to `run`."""

    def __init__(self, config: TrainConfig, run: RunDir, train: ArrayDataset, val: ArrayDataset,
                 reporter: Reporter | None = None) -> None:
        self.config, self.run, self.train_set, self.val_set = config, run, train, val
        self.reporter = reporter or Reporter()
        random.manual_seed(config.seed)
        self.loader = DataLoader(train, config.batch_size, shuffle=True, drop_last=False,
                                 seed=config.seed, augment=augmentation(config))
        self.recipe = recipe = Recipe.build(config, len(self.loader))
        self.model, self.optimizer, self.scheduler = recipe.model, recipe.optimizer, recipe.scheduler
        self.position = Position()
        self.history = History()
        self._stop_status: str | None = None
        self._resumed = False
        self._saved_step: int | None = None  # step of the newest last.safetensors
        self._skipped = 0  # steps with a non-finite loss in a row (on_nonfinite="skip")
        self._lock: RunLock | None = None  # held from create()/resume() until release()
        self.restarted: str | None = None  # why resume() started the run again from scratch
        # 'name old -> new' for each setting resume(overrides=...) changed in config.json
        self.changed_settings: list[str] = []
        # the evaluation of the best.safetensors such a run keeps, until training beats it
        self._kept_best: EvalRecord | None = None

    # ----- construction from the command line's point of view -----
    @classmethod
    def create(cls, config: TrainConfig, out: str | Path = "runs", run_id: str | None = None,
               reporter: Reporter | None = None,
               data: tuple[ArrayDataset, ArrayDataset] | None = None) -> Trainer:
        """A new run directory under `out`, with config.json written first, locked until fit()
        returns or `release()`: use it as `with Trainer.create(...) as trainer:`, so that an
        error before fit() releases the run too.

        A relative data_dir is stored resolved, so the run can be tested from anywhere. A config
        too large for this machine's memory is refused (ConfigError) before anything is made.
        """
        config = config.with_resolved_data_dir()
        check_memory(config)
        check_run_id_free(out, run_id)  # before the data load, which takes a while
        train, val = data if data is not None else load_datasets(config)
        run = create_run_dir(out, config.to_json(), run_id)
        lock = None
        try:
            lock = RunLock(run.path)
            atomic_write_text(run.config, config.to_json())
            run.write_status(CREATED)
            trainer = cls(config, run, train, val, reporter)
        except BaseException:
            if lock is not None:
                lock.release()
            shutil.rmtree(run.path, ignore_errors=True)  # half made: no run, and the id stays free
            raise
        trainer._lock = lock
        return trainer

    @classmethod
    def resume(cls, path: str | Path, reporter: Reporter | None = None,
               data: tuple[ArrayDataset, ArrayDataset] | None = None, force: bool = False,
               overrides: dict[str, Any] | None = None) -> Trainer:
        """Continue a run from its last checkpoint, exactly where it stopped; locked as by `create`.

        Raises RunBusyError (another process works in the run), RunCompleteError, ResumeError
        (diverged, unless `force`), NotEnoughMemoryError, CheckpointError (config.json changed
        since the checkpoint, unless `force`). A run without a last checkpoint starts again from
        scratch (`restarted` says so), keeping best.safetensors until a better model replaces it.
        `overrides` (TrainConfig values; `force` where they change a setting) go over config.json,
        rewritten once they apply; `changed_settings` lists them; a FIXED_SETTINGS change is
        refused even forced (ConfigError naming the field).
        """
        run = open_run_dir(path)
        given = overrides is not None
        config, changed_settings = resumed_config(run, overrides, force) if given else (None, [])
        lock = RunLock(run.path)
        try:
            status = run.read_status()
            check_resumable(run, status, force)
            current = config or TrainConfig.load(run.config)
            restart = restart_reason(run, status["status"])
            stored = read_checkpoint(run)  # read once: its settings are checked, then it is restored
            saved = check_settings(run, stored, current, force, from_flags=given)
            check_memory_to_resume(current, run.path)  # its sizes cannot change: no setting to name
            try:
                train, val = data if data is not None else load_datasets(current)
            except ConfigError as error:
                raise (error if given else error.in_file(run.config)) from None
            trainer = cls(current, run, train, val, reporter)
            trainer._lock = lock
            trainer.changed_settings = changed_settings
            if stored is not None and stored.path == run.last:
                changed = saved is None or bool(checkpoint.changed_settings(saved, current.to_dict()))
                trainer.position, trainer.history = restore_last(
                    run, stored, trainer.model, trainer.optimizer, trainer.scheduler, status,
                    keep_settings=force and changed)
                trainer._resumed, trainer._saved_step = True, trainer.position.step
                trainer._kept_best = still_kept(run, trainer.position.kept_best_accuracy)
            elif restart is not None:
                trainer._kept_best, note = kept_best(run, stored)
                if trainer._kept_best is not None:
                    trainer.position.kept_best_accuracy = trainer._kept_best.val_accuracy
                trainer.restarted = restart + note
            if config is not None:
                atomic_write_text(run.config, config.to_json())
        except BaseException:
            lock.release()  # now, not when the traceback that holds it is freed
            raise
        return trainer

    def request_stop(self, status: str = INTERRUPTED) -> None:
        """Ask fit() to save a resumable checkpoint and return `status` ('interrupted' for a stop
        signal, 'pruned' for a search's pruner) at the next step boundary."""
        self._stop_status = status

    # ----- the loop -----
    def fit(self) -> FitResult:
        """Train to the end (or a stop); status.json says 'failed'/'interrupted' if it raises.

        A full disk, an I/O or permission error, or no memory raises TrainingStoppedError and leaves
        the run 'interrupted', to be resumed once fixed. The run's lock is released on return.
        """
        position = self.position
        started = time.perf_counter() - position.seconds
        try:
            self.run.write_status(RUNNING, step=position.step, seconds=round(position.seconds, 3))
            atomic_write_json(self.run.machine, machine_info())  # the latest session's machine
            if self.restarted:  # to train.log only: the caller tells its user (npnn train on stderr)
                self.run.append_log(self.restarted)
            if self._resumed:
                self._log(f"resumed at step {position.step} from {self.run.last.name}")
            self._log(f"training {describe_model(self.config)} on {len(self.train_set)} images, "
                      f"{len(self.loader)} steps per epoch, run {self.run.name}")
            status = self._loop(started)
            position.seconds = time.perf_counter() - started
            return self._finish(status)
        except KeyboardInterrupt:
            self._record_abort(INTERRUPTED, "aborted by Ctrl-C", started)
            raise
        except BaseException as error:
            fault = machine_fault(error)
            if fault is None:
                self._record_abort(FAILED, f"{type(error).__name__}: {error}", started)
                raise
            raise self._stopped(fault, started) from error
        finally:
            self.release()

    def release(self) -> None:
        """Let other processes work in the run directory (fit() and the `with` block's end do
        this)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Trainer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()  # now, not when whatever still refers to the trainer is freed

    def _stopped(self, fault: MachineFault, started: float) -> TrainingStoppedError:
        """Record the run as interrupted by `fault`; the error that says so and how to go on."""
        self._record_abort(INTERRUPTED, fault.problem, started)
        since = (f"from its last checkpoint (step {self._saved_step})"
                 if self._saved_step is not None else "from the start")
        return TrainingStoppedError(f"{fault.problem} (at step {self.position.step}); {fault.fix}, then "
                                    f"`npnn train --resume {self.run.path}` continues {since}",
                                    fault.errno, fault.filename)

    def _loop(self, started: float) -> str:
        config, position = self.config, self.position
        status = FINISHED
        self.model.train()
        while position.epoch < config.epochs and status == FINISHED:
            self.reporter.epoch_started(position.epoch, config.epochs, len(self.loader), position.batch)
            for images, labels in self.loader.iter_from(position.epoch, position.batch):
                loss = self._train_step(images, labels)
                position.batch += 1
                position.step += 1
                if not math.isfinite(loss):
                    self._skipped += 1  # a whole epoch of skipped steps is divergence too
                    if config.on_nonfinite == "stop" or self._skipped >= len(self.loader):
                        status = DIVERGED
                        break
                    self._log(f"step {position.step}: the loss is {loss}; skipped (on_nonfinite skip)")
                else:
                    self._skipped = 0
                    position.loss_sum += loss
                    position.loss_count += 1
                self.reporter.step_done(loss)
                end_of_epoch = position.batch == len(self.loader)
                if end_of_epoch:
                    position.epoch += 1
                    position.batch = 0
                if end_of_epoch or (config.eval_every and position.step % config.eval_every == 0):
                    position.seconds = time.perf_counter() - started
                    if self._evaluate_and_save():
                        status = EARLY_STOPPED
                        break
                if self._stop_status is not None and position.epoch < config.epochs:
                    position.seconds = time.perf_counter() - started
                    self._save_last()
                    status = self._stop_status
                    break
            self.reporter.epoch_done()
        return status

    def _train_step(self, images: Tensor, labels: Tensor) -> float:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._train_step_unchecked(images, labels)

    def _train_step_unchecked(self, images: Tensor, labels: Tensor) -> float:
        # overflow shows up as a non-finite loss, which fit() reports as divergence
        loss = self.recipe.loss(self.model(images), labels)
        value = float(loss.item())
        if not math.isfinite(value) and self.config.on_nonfinite == "skip":
            if self.scheduler is not None:
                self.scheduler.step()  # the schedule stays a function of the step
            return value  # no update from a non-finite loss
        self.optimizer.zero_grad()
        loss.backward()
        if self.config.clip_grad_norm is not None:
            clip_grad_norm_(self.model.parameters(), self.config.clip_grad_norm)
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        return value

    def _normalization(self) -> dict[str, Any] | None:
        """How the training images were scaled, for the best checkpoint (None: data without it)."""
        normalization = getattr(self.train_set, "normalization", None)
        return normalization.to_dict() if isinstance(normalization, Normalization) else None

    def _evaluate_and_save(self) -> bool:
        """Evaluate on validation, record, checkpoint; True when early stopping triggers."""
        position = self.position
        result = evaluate(self.model, self.val_set.images, self.val_set.labels)
        record = EvalRecord(
            step=position.step,
            epoch=round(position.epoch + position.batch / len(self.loader), 4),
            train_loss=self._train_loss(),
            val_loss=result.loss,
            val_accuracy=result.accuracy,
            lr=self.optimizer.param_groups[0]["lr"],
        )
        position.loss_sum, position.loss_count = 0.0, 0
        self.history.append(record)
        self.history.save(self.run.history)
        improved = record.val_accuracy > position.best_accuracy
        if improved:
            position.best_accuracy = record.val_accuracy
            position.evals_since_best = 0
            if record.val_accuracy > position.kept_best_accuracy:
                checkpoint.save_best(self.run.best, self.model, self.config.to_dict(), asdict(record),
                                     self._normalization())
        else:
            position.evals_since_best += 1
        self._save_last()
        self._log(f"step {record.step} epoch {record.epoch:.2f} train_loss {record.train_loss:.4f} "
                  f"val_loss {record.val_loss:.4f} val_acc {record.val_accuracy:.4f} "
                  f"lr {record.lr:.3g} time {position.seconds:.1f}s" + (" *" if improved else ""))
        self.reporter.evaluated(record, improved)
        patience = self.config.patience
        return patience is not None and position.evals_since_best >= patience

    def _train_loss(self) -> float:
        """The mean step loss since the last evaluation, plus an L2 penalty that the optimizer
        applies as weight decay, taken at the weights being evaluated."""
        count = self.position.loss_count
        return self.position.loss_sum / count + self.recipe.penalty_outside_loss() if count else 0.0

    def _save_last(self) -> None:
        checkpoint.save_last(self.run.last, self.model, self.optimizer, self.scheduler,
                             asdict(self.position), self.config.to_dict())
        self._saved_step = self.position.step

    def _record_abort(self, status: str, reason: str, started: float) -> None:
        """Best effort: say in status.json and train.log why fit() is raising."""
        position = self.position
        position.seconds = time.perf_counter() - started
        reason = f"{reason} at step {position.step}"
        if self._saved_step is not None:
            reason += (f"; `npnn train --resume {self.run.path}` continues from the last "
                       f"checkpoint (step {self._saved_step})")
        details = {"step": position.step, "epoch": position.epoch,
                   "seconds": round(position.seconds, 3), "reason": reason}
        self.run.record_stop(status, **details)  # never left saying 'running'
        with contextlib.suppress(OSError):
            self._log(f"{status}: {reason}", ended=True)

    def _finish(self, status: str) -> FitResult:
        position, best = self.position, self._best()
        detail: dict[str, Any] = {"step": position.step, "epoch": position.epoch,
                                  "seconds": round(position.seconds, 3)}
        if best is not None:
            detail["best"] = asdict(best)
        if status == DIVERGED:
            detail["reason"] = f"the training loss became non-finite at step {position.step}"
            self._log(f"stopped: {detail['reason']}; best checkpoint left as it was", ended=True)
        elif status == INTERRUPTED:
            self._log(f"interrupted at step {position.step}; continue with "
                      f"`npnn train --resume {self.run.path}`", ended=True)
        else:
            self._log(f"{status.replace('_', ' ')} after {position.step} steps in "
                      f"{position.seconds:.1f}s" + (f"; best val_acc {best.val_accuracy:.4f}"
                                                    if best else ""), ended=True)
        self.run.write_status(status, **detail)
        return FitResult(status, self.run.path, position.step, position.seconds, best, detail)

    def _best(self) -> EvalRecord | None:
        """The evaluation of the model in best.safetensors: the history's best, unless the run
        restarted and has not beaten the model it kept from before."""
        best, kept = self.history.best, self._kept_best
        if kept is not None and (best is None or best.val_accuracy <= kept.val_accuracy):
            return kept
        return best

    def _log(self, message: str, ended: bool = False) -> None:
        """`message` to train.log and to the reporter."""
        self.run.append_log(message)
        (self.reporter.ended if ended else self.reporter.message)(message)
