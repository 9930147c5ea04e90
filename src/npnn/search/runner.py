"""Run a search on Optuna: one study in an RDB storage, trials as ordinary run directories.

A grid is enqueued into the study as waiting trials, one per grid point, and workers pop
them atomically from the storage: `jobs` worker processes, or workers on other machines
sharing the storage, never train the same point twice at once. Rerunning the same command
resumes: finished trials are kept, a trial left RUNNING by a killed process is failed by
Optuna's heartbeat check and queued once more, a trial that raised or diverged stays failed
with its reason, and a trial stopped by Ctrl-C, SIGTERM or SIGHUP, or by a fault of the machine
(a full disk), is queued again.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from npnn.search.faults import STOP_SIGNALS, SearchStoppedError, environment_fault, signal_name, stopped
from npnn.search.results import summary, trial_rows, write_csv
from npnn.search.space import SAMPLERS, SpaceError
from npnn.search.study import (
    DEFAULT_TRIALS,
    SearchError,
    SearchOptions,
    StorageError,
    check_results_known,
    enqueue_grid,
    open_study,
)
from npnn.serialization import atomic_write_json, read_json
from npnn.training.run_dir import DIVERGED, INTERRUPTED

PRUNED = "pruned"  # a Trainer status of its own: the search stopped the trial
WORKER_FAULT = 3  # a worker process's exit status after a fault of the machine (disk full, ...)
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

Echo = Callable[[str], None]


class TrialDivergedError(RuntimeError):
    """The trial's training loss became non-finite."""


class WorkerDiedError(ChildProcessError):
    """A search worker process was killed or crashed; the message says what became of its trial."""


def run_search(options: SearchOptions, echo: Echo | None = None) -> dict[str, Any]:
    """Run (or continue) the search; return counts, the summary text and the stop signal (0: none).

    A full disk or a similar fault of the machine raises SearchStoppedError: the trial in
    progress is queued again, not failed, so rerunning the same command resumes.
    """
    _check(options)
    out = Path(options.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        _check_same_search(options, out / "search.json")
        study = open_study(options)  # creates the study (and schema) once, before workers race
        check_results_known(study, options)
        if options.sampler_name == "grid":
            enqueue_grid(study, options.space)
        started = time.time()
        if options.jobs == 1:
            with _Stopper() as stopper:
                stop = _work(options, 0, echo, stopper)
        else:
            stop = _work_in_processes(options, echo)
        rows = trial_rows(study.get_trials(deepcopy=False))
        write_csv(options.csv_path, rows)
    except Exception as error:
        fault = environment_fault(error, options.storage_name)
        if fault is None:
            raise
        raise stopped(fault, out) from error
    states = [r["state"] for r in rows]
    return {"status": INTERRUPTED if stop else "done", "signal": stop, "complete": states.count("complete"),
            "failed": states.count("fail"), "pruned": states.count("pruned"),
            "seconds": time.time() - started, "summary": summary(rows), "csv": str(options.csv_path)}


def _check(options: SearchOptions) -> None:
    if options.sampler_name not in SAMPLERS:
        raise SearchError(f"--sampler must be one of {', '.join(SAMPLERS)}, got {options.sampler_name!r}")
    if options.jobs < 1:
        raise SearchError(f"--jobs must be >= 1, got {options.jobs}")
    if options.trials is not None and options.trials < 1:
        raise SearchError(f"--trials must be >= 1, got {options.trials}")
    if options.max_grid < 1:
        raise SearchError(f"--max-grid must be >= 1, got {options.max_grid}")
    if options.sampler_name == "grid":
        try:  # before a grid is listed, or enqueued
            options.space.check_grid_size(options.max_grid)
        except SpaceError as error:
            raise SpaceError(f"{options.space_source}: {error}") from None


def _check_same_search(options: SearchOptions, path: Path) -> None:
    record = json.loads(json.dumps(options.record()))
    if path.exists() and options.storage is None:
        previous = read_json(path)
        if previous != record:
            changed = sorted(k for k in record if previous.get(k) != record[k])
            raise SearchError(
                f"{path.parent} holds a different search (it differs in {', '.join(changed)}): "
                "rerun it with its own settings to continue, or choose another --out"
            )
    atomic_write_json(path, record)


class _Stopper:
    """SIGINT, SIGTERM and SIGHUP: the first stops the trial in progress cleanly (it is queued
    again); a second Ctrl-C aborts it at once (it is queued again all the same)."""

    def __init__(self) -> None:
        self.signal = 0  # the first stop signal received
        self.trainer: Any = None  # the trainer of the trial in progress

    def __call__(self, signum: int, frame: Any) -> None:
        if self.signal and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal = self.signal or signum
        if self.trainer is not None:
            self.trainer.request_stop()

    def __enter__(self) -> _Stopper:
        self.previous = {number: signal.signal(number, self) for number in STOP_SIGNALS}
        return self

    def __exit__(self, *exc: object) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)


def _work_in_processes(options: SearchOptions, echo: Echo | None) -> int:
    """`jobs` worker processes; BLAS threads per process so that jobs × threads <= cores.

    The workers run in their own process group, so stop signals reach them only through this
    process, once; a worker whose parent dies stops by itself.
    """
    threads = max(1, (os.cpu_count() or 1) // options.jobs)
    saved = {name: os.environ.get(name) for name in BLAS_THREAD_VARIABLES}
    context = multiprocessing.get_context("spawn")
    faults = context.SimpleQueue()
    workers: list[Any] = []
    forward = _Forwarder(workers)
    # blocked until the handlers are in place, here and (inherited) in each new worker
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    previous = {number: signal.signal(number, forward) for number in STOP_SIGNALS}
    try:
        os.environ.update({name: str(threads) for name in BLAS_THREAD_VARIABLES})
        for index in range(options.jobs):
            workers.append(context.Process(target=_worker_main,
                                           args=(options, index, echo, faults, os.getpid())))
            workers[-1].start()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    try:
        deaths = _wait(options, workers, forward)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if not faults.empty():
        raise faults.get()
    if deaths and not forward.signal:
        raise WorkerDiedError("; ".join(deaths))
    codes = [worker.exitcode for worker in workers]
    return forward.signal or next((code - 128 for code in codes if code and code > 128), 0)


def _wait(options: SearchOptions, workers: list[Any], forward: _Forwarder) -> list[str]:
    """Wait for every worker; stop the others when one hits a fault of the machine, retry at
    once the trial of one that was killed. Returns what happened to workers that died."""
    deaths, pending = [], list(workers)
    while pending:
        multiprocessing.connection.wait([worker.sentinel for worker in pending])
        for worker in [worker for worker in pending if worker.exitcode is not None]:
            pending.remove(worker)
            number, code = workers.index(worker) + 1, worker.exitcode
            if code == WORKER_FAULT:
                forward(signal.SIGTERM, None)  # the others would meet the same fault
            elif code is not None and code < 0 and not forward.signal:
                deaths.append(f"search worker {number} was killed by {signal_name(-code)} "
                              f"(signal {-code}); {_retry_trials_of(options, worker.pid)}")
            elif code not in (0, WORKER_FAULT) and not (code > 128 and code - 128 in STOP_SIGNALS):
                deaths.append(f"search worker {number} failed with exit status {code} (see its "
                              "error above); rerun the same command to continue")
    return deaths


class _Forwarder:
    """The parent's handler of stop signals: the first is sent on to the workers as SIGTERM (a
    clean stop), a second Ctrl-C as SIGINT (abort the trials at once)."""

    def __init__(self, workers: list[Any]) -> None:
        self.workers, self.signal = workers, 0

    def __call__(self, signum: int, frame: Any) -> None:
        sent = signal.SIGINT if self.signal and signum == signal.SIGINT else signal.SIGTERM
        if frame is not None:  # a real signal, not a fault passed on by _wait
            self.signal = self.signal or signum
        for worker in self.workers:
            if worker.pid is not None and worker.exitcode is None:
                with contextlib.suppress(ProcessLookupError):  # it has just ended
                    os.kill(worker.pid, sent)


def _worker_main(options: SearchOptions, index: int, echo: Echo | None, faults: Any, parent: int) -> None:
    os.setpgrp()  # the terminal's Ctrl-C reaches the parent only, which passes it on once
    _watch_parent(parent)
    with _Stopper() as stopper:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # blocked by the parent
        try:
            stop = _work(options, index, echo, stopper)
        except SearchStoppedError as error:
            faults.put(error)
            raise SystemExit(WORKER_FAULT) from None
        except KeyboardInterrupt:  # a second Ctrl-C outside a trial: no traceback
            stop = signal.SIGINT
    raise SystemExit(128 + stop if stop else 0)


def _watch_parent(parent: int) -> None:
    """Stop this worker as SIGTERM would when its parent dies: no orphan trains on for hours."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.25)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="npnn-parent-watch", daemon=True).start()


def _retry_trials_of(options: SearchOptions, pid: int | None) -> str:
    """Queue again the trial a killed worker was training, as the heartbeat check would later."""
    import optuna
    from optuna.trial import TrialState

    try:
        study = open_study(options)
        mine = [t for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
                if t.user_attrs.get("worker") == _worker_id(pid)]
        callback = study._storage.get_heartbeat_stale_trial_callback()
        for trial in mine:
            if study._storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL):
                callback(study, study._storage.get_trial(trial._trial_id))
    except (optuna.exceptions.OptunaError, StorageError, OSError):
        mine = []
    if not mine:
        return ("the trial it was training is retried by the heartbeat check "
                f"{options.grace_seconds} s after the kill, when you rerun the same command")
    numbers = ", ".join(str(t.number) for t in mine)
    return f"its trial {numbers} was queued again; rerun the same command to finish what is left"


def _worker_id(pid: int | None = None) -> str:
    """Which process trains a trial, on which machine (workers on several machines share a study)."""
    return f"{socket.gethostname()}:{pid or os.getpid()}"


def _work(options: SearchOptions, worker: int, echo: Echo | None, stopper: _Stopper) -> int:
    """Pull trials until the grid is done, this worker's share of --trials is spent, or a stop
    signal (returned; 0 for none). SearchStoppedError for a fault of the machine."""
    study = open_study(options, worker)
    objective = _Objective(options, study, echo, stopper)
    share = _share(options, worker)
    try:
        while (not stopper.signal and objective.fault is None
               and (share is None or objective.trials < share) and _more_to_do(options, study, stopper)):
            study.optimize(objective, n_trials=1, catch=(Exception,), callbacks=[objective.after_trial],
                           gc_after_trial=False)
    except _LeaveRunning:
        pass  # objective.fault says why
    except Exception as error:  # the CSV, or Optuna's own write of the trial's result
        fault = environment_fault(error, options.storage_name)
        if fault is None:
            raise
        objective.fault = stopped(fault, options.out)
    if objective.fault is not None:
        raise objective.fault
    return stopper.signal


def _share(options: SearchOptions, worker: int) -> int | None:
    """This worker's part of --trials (None: until the grid is done), so the total is exact."""
    trials = options.trials
    if trials is None and options.sampler_name != "grid":
        trials = DEFAULT_TRIALS
    if trials is None:
        return None
    return trials // options.jobs + (1 if worker < trials % options.jobs else 0)


def _more_to_do(options: SearchOptions, study: Any, stopper: _Stopper) -> bool:
    """For a grid: points are waiting, or still running elsewhere (waited for).

    If the worker of a RUNNING point died, Optuna's heartbeat check fails it after the grace
    period and queues it again, and this worker then trains it.
    """
    import optuna
    from optuna.trial import TrialState

    if options.sampler_name != "grid":
        return True
    while not stopper.signal:
        trials = study.get_trials(deepcopy=False)
        if any(t.state == TrialState.WAITING for t in trials):
            return True
        if not any(t.state == TrialState.RUNNING for t in trials):
            return False
        optuna.storages.fail_stale_trials(study)
        time.sleep(min(options.heartbeat_seconds, 1.0))
    return False


class _LeaveRunning(BaseException):
    """Out of Optuna's reach: the trial stays RUNNING, so the heartbeat check retries it on the
    next run (used when not even queueing it again could be written)."""


class _Objective:
    """Train one configuration; report its best validation accuracy to Optuna."""

    def __init__(self, options: SearchOptions, study: Any, echo: Echo | None,
                 stopper: _Stopper | None = None) -> None:
        self.options, self.study, self.echo = options, study, echo
        self.stopper = stopper or _Stopper()
        self.fault: SearchStoppedError | None = None  # a fault of the machine: the search stops
        self.trials = 0  # trials this worker has finished
        self.durations: list[float] = []

    def __call__(self, trial: Any) -> float:
        from npnn.training import TrainConfig
        from npnn.training.evaluation import evaluate_run

        started = time.perf_counter()
        params = {param.name: param.suggest(trial) for param in self.options.space.params}
        original = _duplicate_of(self.study, trial)
        if original is not None:
            import optuna

            trial.set_user_attr("duplicate_of", original)
            raise optuna.TrialPruned(f"grid point already trained by trial {original}")
        where: Path | str = Path(self.options.out) / "runs"
        try:
            trial.set_user_attr("worker", _worker_id())  # a dead worker's trial is found by it
            values = self.options.space.values(params, self.options.overrides)
            trial.set_user_attr("config", values)  # recorded first, so a refused config has a row
            config = TrainConfig.from_dict(values)
            reporter = _PruningReporter(trial) if self.options.prune else None
            self.stopper.trainer = trainer = self._trainer(trial, config, reporter)
            if self.stopper.signal:  # it came during the data load
                trainer.request_stop()
            if reporter is not None:
                reporter.trainer = trainer
            where = trainer.run.path
            trial.set_user_attr("run_dir", str(where))
            result = trainer.fit()
            if result.status == INTERRUPTED:
                raise self._queue_again(trial, f"stopped by {signal_name(self.stopper.signal)}")
            if result.status == DIVERGED:
                raise TrialDivergedError(result.detail["reason"])
            if result.status == PRUNED:
                import optuna

                raise optuna.TrialPruned(f"pruned at step {result.steps}")
            trial.set_user_attr("test_accuracy", evaluate_run(result.run_dir, "test")["accuracy"])
            trial.set_user_attr("seconds", time.perf_counter() - started)
            return result.best.val_accuracy
        except KeyboardInterrupt:  # a second Ctrl-C
            raise self._queue_again(trial, "aborted by Ctrl-C") from None
        except Exception as error:
            fault = environment_fault(error, self.options.storage_name)
            if fault is not None:
                self.fault = stopped(fault, where, f" and trial {trial.number} is queued to run again")
                raise self._queue_again(trial, f"{type(fault).__name__}: {fault}") from error
            trial.set_user_attr("seconds", time.perf_counter() - started)
            if type(error).__name__ != "TrialPruned":
                trial.set_user_attr("fail_reason", f"{type(error).__name__}: {error}")
            raise
        finally:
            self.stopper.trainer = None

    def _trainer(self, trial: Any, config: Any, reporter: Any) -> Any:
        """Continue the run that a stopped or killed earlier try of this point left (its
        `run_dir`, copied into the queued trial), else start a new one."""
        from npnn.serialization import CheckpointError
        from npnn.training import ConfigError, ResumeError, Trainer

        earlier = trial.user_attrs.get("run_dir")
        if earlier is not None:
            try:
                trainer = Trainer.resume(earlier, reporter=reporter)
            except (ResumeError, CheckpointError, ConfigError, FileNotFoundError):
                trainer = None  # finished, diverged or damaged: train the point afresh
            if trainer is not None and trainer.config == config.with_resolved_data_dir():
                return trainer
        return Trainer.create(config, Path(self.options.out) / "runs", run_id=f"trial-{trial.number:04d}",
                              reporter=reporter)

    def _queue_again(self, trial: Any, reason: str) -> BaseException:
        """Queue the trial's point again as a waiting trial (which continues its run directory
        from the last checkpoint); this trial then ends pruned, marked
        `queued_again`, which keeps it out of the results (as a skipped duplicate is).

        Returns the exception that ends the trial: _LeaveRunning if not even that could be
        written (the heartbeat check retries it then).
        """
        import optuna

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
            fault = environment_fault(error, self.options.storage_name)
            if fault is None:
                raise
            self.fault = self.fault or stopped(fault, self.options.storage_name)
            return _LeaveRunning()
        return optuna.TrialPruned(f"{reason}; queued to run again")

    def after_trial(self, study: Any, trial: Any) -> None:
        """Rewrite the CSV and print one line about the trial that just finished."""
        if "queued_again" in trial.user_attrs:
            return  # its point waits in the queue: not finished
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
        finished = sum(1 for r in rows if r["state"] in ("complete", "fail", "pruned"))
        grid = self.options.sampler_name == "grid"
        remaining = sum(1 for t in self.study.get_trials(deepcopy=False)
                        if t.state.name in ("WAITING", "RUNNING")) if grid else 0
        progress = f"{finished}/{finished + remaining}" if grid else f"{finished}"
        text = (f"trial {trial.number:>4} [{progress}] {trial.state.name.lower():<8} "
                f"hidden {config.get('hidden')} batch {config.get('batch_size')} lr {config.get('lr'):g} "
                f"reg {config.get('regularization')} {config.get('reg_strength', 0):g}")
        if trial.state.name == "COMPLETE":
            text += (f" | val {trial.value:.4f} test {trial.user_attrs.get('test_accuracy', 0):.4f} "
                     f"{trial.user_attrs.get('seconds', 0):.1f}s")
        elif "fail_reason" in trial.user_attrs:
            text += f" | {trial.user_attrs['fail_reason']}"
        if grid and self.durations:
            eta = remaining * sum(self.durations) / len(self.durations) / self.options.jobs
            text += f" | ETA {eta / 60:.1f} min"
        return text


def _duplicate_of(study: Any, trial: Any) -> int | None:
    """The trial that already trained (or is training) this trial's grid point, if any.

    Workers that enqueued the same grid at the same moment leave duplicates in the queue;
    of two copies running at once, the one that started later yields.
    """
    from optuna.trial import TrialState

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


class _PruningReporter:
    """Report each evaluation's validation accuracy to Optuna; stop the trial if it is pruned."""

    def __init__(self, trial: Any) -> None:
        self.trial, self.trainer = trial, None

    def evaluated(self, record: Any, improved: bool) -> None:
        self.trial.report(record.val_accuracy, step=record.step)
        if self.trial.should_prune() and self.trainer is not None:
            self.trainer.request_stop(PRUNED)

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None
