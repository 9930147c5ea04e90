"""One trial of a search: its config from the trial's point, its run (new, or continued from an
earlier try), its result told to Optuna, and what ends it when training does not finish: queued
again after a stop signal or a fault of the machine, failed with its reason otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from npnn.search.faults import LeaveRunning as _LeaveRunning
from npnn.search.faults import SearchStoppedError, fault_in_chain, stopped
from npnn.search.results import trial_rows, write_csv
from npnn.search.study import SearchOptions
from npnn.search.workers import worker_id
from npnn.serialization import CheckpointError
from npnn.training import ConfigError, ResumeError, TrainConfig, Trainer
from npnn.training.evaluation import evaluate_run
from npnn.training.run_dir import DIVERGED, INTERRUPTED
from npnn.training.stop_signals import StopSignals, signal_name

PRUNED = "pruned"  # a Trainer status of its own: the search stopped the trial

Echo = Callable[[str], None]


class TrialDivergedError(RuntimeError):
    """The trial's training loss became non-finite."""


class Objective:
    """Train one configuration; report its best validation accuracy to Optuna."""

    def __init__(self, options: SearchOptions, study: Any, echo: Echo | None,
                 stopper: StopSignals | None = None) -> None:
        self.options, self.study, self.echo = options, study, echo
        self.stopper = stopper or StopSignals()
        self.fault: SearchStoppedError | None = None  # a fault of the machine: the search stops
        self.trials = 0  # trials this worker has finished
        self.durations: list[float] = []

    def __call__(self, trial: Any) -> float:
        started = time.perf_counter()
        self.check_duplicate(trial)
        where: Path | str = Path(self.options.out) / "runs"
        try:
            config, reporter = self.prepare(trial)
            self.stopper.trainer = trainer = self.trainer(trial, config, reporter)
            if self.stopper.signal:  # it came during the data load
                trainer.request_stop()
            where = trainer.run.path
            result = trainer.fit()
            return self.outcome(trial, result, time.perf_counter() - started)
        except KeyboardInterrupt:  # a second Ctrl-C
            raise self._queue_again(trial, "aborted by Ctrl-C") from None
        except Exception as error:
            ending = self.failure(trial, error, where, time.perf_counter() - started)
            if ending is error:
                raise
            raise ending from error
        finally:
            if self.stopper.trainer is not None:
                self.stopper.trainer.release()  # the run is free however the trial ended
            self.stopper.trainer = None

    def check_duplicate(self, trial: Any) -> None:
        """TrialPruned if another trial trained (or trains) this trial's grid point."""
        for param in self.options.space.params:  # its point, as the other trials see it
            param.suggest(trial)
        original = _duplicate_of(self.study, trial)
        if original is not None:
            trial.set_user_attr("duplicate_of", original)
            raise optuna.TrialPruned(f"grid point already trained by trial {original}")

    def prepare(self, trial: Any) -> tuple[TrainConfig, Any]:
        """The trial's config, recorded in its attributes, and its pruning reporter (or None)."""
        params = {param.name: param.suggest(trial) for param in self.options.space.params}
        trial.set_user_attr("worker", worker_id())  # a dead worker's trial is found by it
        values = self.options.space.values(params, self.options.overrides)
        trial.set_user_attr("config", values)  # recorded first, so a refused config has a row
        config = TrainConfig.from_dict(values)
        return config, PruningReporter(trial) if self.options.prune else None

    def outcome(self, trial: Any, result: Any, seconds: float) -> float:
        """The trial's value from its run's FitResult; raises for a run that did not finish."""
        if result.status == INTERRUPTED:
            raise self._queue_again(trial, f"stopped by {signal_name(self.stopper.signal)}")
        if result.status == DIVERGED:
            raise TrialDivergedError(result.detail["reason"])
        if result.status == PRUNED:
            raise optuna.TrialPruned(f"pruned at step {result.steps}")
        trial.set_user_attr("test_accuracy", evaluate_run(result.run_dir, "test")["accuracy"])
        trial.set_user_attr("seconds", seconds)
        return result.best.val_accuracy

    def failure(self, trial: Any, error: Exception, where: Path | str, seconds: float) -> BaseException:
        """What ends a trial whose training raised `error`: queued again after a fault of the
        machine (which stops the search), else `error`, recorded as its fail reason."""
        fault = fault_in_chain(error, self.options.storage_name)
        if fault is not None:
            earlier = self.fault
            ending = self._queue_again(trial, f"{type(fault).__name__}: {fault}")
            # left RUNNING when not even the queueing could be written: the rerun retries it
            queued = " will run again" if isinstance(ending, _LeaveRunning) else " is queued to run again"
            self.fault = earlier or stopped(fault, where, f" and trial {trial.number}{queued}")
            return ending
        trial.set_user_attr("seconds", seconds)
        if type(error).__name__ != "TrialPruned":
            trial.set_user_attr("fail_reason", f"{type(error).__name__}: {error}")
        return error

    def trainer(self, trial: Any, config: Any, reporter: Any, data: Any = None) -> Any:
        """Continue the run that a stopped or killed earlier try of this point left (its
        `run_dir`, copied into the queued trial), else start a new one; `run_dir` recorded."""
        trainer = self._resumed(trial, config, reporter, data)
        if trainer is None:
            trainer = Trainer.create(config, Path(self.options.out) / "runs",
                                     run_id=f"trial-{trial.number:04d}", reporter=reporter, data=data)
        if reporter is not None:
            reporter.trainer = trainer
        trial.set_user_attr("run_dir", str(trainer.run.path))
        return trainer

    def _resumed(self, trial: Any, config: Any, reporter: Any, data: Any) -> Any:
        earlier = trial.user_attrs.get("run_dir")
        if earlier is None:
            return None
        try:
            trainer = Trainer.resume(earlier, reporter=reporter, data=data)
        except (ResumeError, CheckpointError, ConfigError, FileNotFoundError):
            return None  # finished, diverged or damaged: train the point afresh
        if trainer.config == config.with_resolved_data_dir():
            return trainer
        trainer.release()  # another point's run: leave it, and its lock, alone
        return None

    def _queue_again(self, trial: Any, reason: str) -> BaseException:
        """Queue the trial's point again as a waiting trial (which continues its run directory
        from the last checkpoint); this trial then ends pruned, marked
        `queued_again`, which keeps it out of the results (as a skipped duplicate is).

        Returns the exception that ends the trial: _LeaveRunning if not even that could be
        written (the heartbeat check retries it then).
        """
        try:
            frozen = _frozen(self.study, trial)
            earlier = {"run_dir": frozen.user_attrs["run_dir"]} if "run_dir" in frozen.user_attrs else {}
            self.study.add_trial(optuna.trial.create_trial(
                state=optuna.trial.TrialState.WAITING, params=frozen.params,
                distributions=frozen.distributions, system_attrs=_queued_attrs(frozen.system_attrs),
                user_attrs=earlier,  # the next try continues this run
            ))
            trial.set_user_attr("queued_again", reason)
        except Exception as error:
            fault = fault_in_chain(error, self.options.storage_name)
            if fault is None:
                raise
            self.fault = self.fault or stopped(fault, self.options.storage_name)
            return _LeaveRunning()
        return optuna.TrialPruned(f"{reason}; queued to run again")

    def after_trial(self, study: Any, trial: Any) -> None:
        """Rewrite the CSV and print one line about the trial that just finished."""
        if "queued_again" in trial.user_attrs:
            return  # its point waits in the queue: not finished
        if "duplicate_of" not in trial.user_attrs:  # --trials counts trained trials, not skips
            self.trials += 1
        rows = trial_rows(study.get_trials(deepcopy=False))
        write_csv(self.options.csv_path, rows)
        if trial.state.name == "COMPLETE":
            self.durations.append(trial.user_attrs.get("seconds", 0.0))
        if self.echo is not None:
            self.echo(self._line(trial, rows))

    def _line(self, trial: Any, rows: list[dict[str, Any]]) -> str:
        if "duplicate_of" in trial.user_attrs:
            original = trial.user_attrs["duplicate_of"]
            return f"trial {trial.number:>4} skipped: trial {original} trains the same grid point"
        config = trial.user_attrs.get("config", {})
        finished = sum(1 for r in rows if r["state"] in ("complete", "fail", "pruned"))  # one per point
        grid = self.options.sampler_name == "grid"
        progress = f"{finished}/{self.options.space.grid_size()}" if grid else f"{finished}"
        text = f"trial {trial.number:>4} [{progress}] {trial.state.name.lower():<8} "
        if not config:  # stopped (a signal, a full disk) before its settings were recorded
            text += "before its settings were recorded"
        else:
            model = f"hidden {config.get('hidden')}"
            if config.get("model") == "cnn":
                model = (f"cnn {config.get('channels')} kernel {config.get('kernel_size')} dense "
                         f"{config.get('cnn_hidden')}")
            text += (f"{model} batch {config.get('batch_size')} lr {config.get('lr'):g} "
                     f"reg {config.get('regularization')} {config.get('reg_strength', 0):g}")
        if trial.state.name == "COMPLETE":
            text += (f" | val {trial.value:.4f} test {trial.user_attrs.get('test_accuracy', 0):.4f} "
                     f"{trial.user_attrs.get('seconds', 0):.1f}s")
        elif "fail_reason" in trial.user_attrs:
            text += f" | {trial.user_attrs['fail_reason']}"
        if grid and self.durations:
            remaining = max(0, self.options.space.grid_size() - finished)
            # workers: this command's, or more where other machines are training points now
            running = sum(1 for t in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))
            eta = remaining * sum(self.durations) / len(self.durations) / max(self.options.jobs, running)
            text += f" | ETA {eta / 60:.1f} min"
        return text


def _duplicate_of(study: Any, trial: Any) -> int | None:
    """The trial that already trained (or is training) this trial's grid point, if any.

    Workers that enqueued the same grid at the same moment leave duplicates in the queue;
    of two copies running at once, the one that started later yields.
    """
    mine = _frozen(study, trial)
    for other in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING)):
        if other.number == trial.number or other.params != mine.params:
            continue
        if other.state == TrialState.COMPLETE:
            return other.number
        if (other.datetime_start, other.number) < (mine.datetime_start, mine.number):
            return other.number
    return None


def _queued_attrs(system_attrs: dict[str, Any]) -> dict[str, Any]:
    """A stopped trial's system attributes for its next try: a clean stop is not a kill, so it
    does not count against the heartbeat check's one retry of a killed trial."""
    return {key: value for key, value in system_attrs.items() if key not in ("failed_trial", "retry_history")}


def _frozen(study: Any, trial: Any) -> Any:
    """The stored FrozenTrial of a running Trial (Optuna 5's Trial has no system_attrs)."""
    return study._storage.get_trial(trial._trial_id)


class PruningReporter:
    """Report each evaluation's validation accuracy to Optuna; stop the trial if it is pruned."""

    def __init__(self, trial: Any) -> None:
        self.trial, self.trainer = trial, None

    def evaluated(self, record: Any, improved: bool) -> None:
        self.trial.report(record.val_accuracy, step=record.step)
        if self.trial.should_prune() and self.trainer is not None:
            self.trainer.request_stop(PRUNED)

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None
