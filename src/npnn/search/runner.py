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

import json
import time
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from npnn.search.faults import LeaveRunning as _LeaveRunning
from npnn.search.faults import SearchStoppedError, fault_in_chain, faults_in_threads, stopped
from npnn.search.objective import Echo, Objective
from npnn.search.results import summary, trial_rows, write_csv
from npnn.search.space import SAMPLERS, SpaceError
from npnn.search.study import (
    DEFAULT_TRIALS,
    SearchError,
    SearchOptions,
    check_results_known,
    check_study_db,
    enqueue_grid,
    open_study,
)
from npnn.search.together import take_trials, train_together
from npnn.search.workers import retry_orphans, work_in_processes
from npnn.serialization import atomic_write_json, read_json
from npnn.training.run_dir import INTERRUPTED
from npnn.training.stop_signals import StopSignals


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
        check_study_db(options)
        study = open_study(options)  # creates the study (and schema) once, before workers race
        check_results_known(study, options)
        retry_orphans(study)  # trials of killed workers of this machine: no heartbeat wait
        if options.sampler_name == "grid":
            enqueue_grid(study, options.space)
        started = time.time()
        if options.jobs == 1:
            with StopSignals() as stopper:
                stop = _work(options, 0, echo, stopper)
        else:
            stop = work_in_processes(options, echo, _work)
        rows = trial_rows(study.get_trials(deepcopy=False))
        write_csv(options.csv_path, rows)
    except SearchStoppedError:
        raise  # says already what stopped the search, and what to do
    except Exception as error:
        fault = fault_in_chain(error, options.storage_name)
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
    if options.population_size < 1:
        raise SearchError(f"--population-size must be >= 1, got {options.population_size}")
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


def _work(options: SearchOptions, worker: int, echo: Echo | None, stopper: StopSignals) -> int:
    """Pull trials until the grid is done, this worker's share of --trials is spent, or a stop
    signal (returned; 0 for none). SearchStoppedError for a fault of the machine."""
    study = open_study(options, worker)
    objective = Objective(options, study, echo, stopper)
    share = _share(options, worker)
    with faults_in_threads(options.storage_name) as thread_faults:  # the heartbeat's writes
        try:
            while (not stopper.signal and objective.fault is None and not thread_faults
                   and (share is None or objective.trials < share) and _more_to_do(options, study, stopper)):
                if _together(options):
                    trials = take_trials(study, options, None if share is None else share - objective.trials)
                    train_together(objective, study, trials)
                    continue
                study.optimize(objective, n_trials=1, catch=(Exception,), callbacks=[objective.after_trial],
                               gc_after_trial=False)
        except _LeaveRunning:
            pass  # objective.fault says why
        except Exception as error:  # the CSV, or Optuna's own write of the trial's result
            fault = fault_in_chain(error, options.storage_name)
            if fault is None:
                raise
            objective.fault = stopped(fault, options.out)
    if objective.fault is None and thread_faults:
        objective.fault = stopped(thread_faults[0], options.out)
    if objective.fault is not None:
        raise objective.fault
    return stopper.signal


def _together(options: SearchOptions) -> bool:
    """Whether trials that share a layout train as one population (training/population): for a
    grid or random search (TPE's next point depends on the results so far), without --prune
    (the median pruner compares a trial with finished ones, and a population finishes together)."""
    return options.population_size > 1 and options.sampler_name in ("grid", "random") and not options.prune


def _share(options: SearchOptions, worker: int) -> int | None:
    """This worker's part of --trials (None: until the grid is done), so the total is exact."""
    trials = options.trials
    if trials is None and options.sampler_name != "grid":
        trials = DEFAULT_TRIALS
    if trials is None:
        return None
    return trials // options.jobs + (1 if worker < trials % options.jobs else 0)


def _more_to_do(options: SearchOptions, study: Any, stopper: StopSignals) -> bool:
    """For a grid: points are waiting, or still running elsewhere (waited for).

    If the worker of a RUNNING point died, Optuna's heartbeat check fails it after the grace
    period and queues it again, and this worker then trains it.
    """
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
