"""Run a search on Optuna: one study in an RDB storage, trials as ordinary run directories.

A grid is enqueued into the study as waiting trials, one per grid point, and workers pop
them atomically from the storage: `jobs` worker processes, or workers on other machines
sharing the storage, never train the same point twice at once. Rerunning the same command
resumes: finished trials are kept, a trial left RUNNING by a killed process is failed by
Optuna's heartbeat check and queued once more, a trial that raised or diverged stays failed
with its reason, and a trial stopped by Ctrl-C is queued again.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from npnn.search.results import summary, trial_rows, write_csv
from npnn.search.space import SAMPLERS
from npnn.search.study import (
    DEFAULT_TRIALS,
    SearchError,
    SearchOptions,
    enqueue_grid,
    open_study,
)
from npnn.serialization import atomic_write_json, read_json
from npnn.training.run_dir import DIVERGED, INTERRUPTED

PRUNED = "pruned"  # a Trainer status of its own: the search stopped the trial
WORKER_INTERRUPTED = 130  # a worker process's exit status after Ctrl-C
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

Echo = Callable[[str], None]


class TrialDivergedError(RuntimeError):
    """The trial's training loss became non-finite."""


class TrialInterruptedError(RuntimeError):
    """Ctrl-C stopped the trial; it is queued to run again."""


def run_search(options: SearchOptions, echo: Echo | None = None) -> dict[str, Any]:
    """Run (or continue) the search; return counts and the summary text."""
    _check(options)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    _check_same_search(options, out / "search.json")
    study = open_study(options)  # creates the study (and schema) once, before workers race
    if options.sampler_name == "grid":
        enqueue_grid(study, options.space)
    started = time.time()
    status = _work(options, 0, echo) if options.jobs == 1 else _work_in_processes(options, echo)
    rows = trial_rows(study.get_trials(deepcopy=False))
    write_csv(options.csv_path, rows)
    states = [r["state"] for r in rows]
    return {"status": status, "complete": states.count("complete"), "failed": states.count("fail"),
            "pruned": states.count("pruned"), "seconds": time.time() - started,
            "summary": summary(rows), "csv": str(options.csv_path)}


def _check(options: SearchOptions) -> None:
    if options.sampler_name not in SAMPLERS:
        raise SearchError(f"--sampler must be one of {', '.join(SAMPLERS)}, got {options.sampler_name!r}")
    if options.jobs < 1:
        raise SearchError(f"--jobs must be >= 1, got {options.jobs}")
    if options.trials is not None and options.trials < 1:
        raise SearchError(f"--trials must be >= 1, got {options.trials}")
    if options.sampler_name == "grid":
        options.space.grid()  # raises SpaceError for ranges without a step


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


def _work_in_processes(options: SearchOptions, echo: Echo | None) -> str:
    """`jobs` worker processes; BLAS threads per process so that jobs × threads <= cores."""
    threads = max(1, (os.cpu_count() or 1) // options.jobs)
    saved = {name: os.environ.get(name) for name in BLAS_THREAD_VARIABLES}
    os.environ.update({name: str(threads) for name in BLAS_THREAD_VARIABLES})
    context = multiprocessing.get_context("spawn")
    try:
        workers = [context.Process(target=_worker_main, args=(options, index, echo))
                   for index in range(options.jobs)]
        for worker in workers:
            worker.start()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the workers handle Ctrl-C
    try:
        for worker in workers:
            worker.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    codes = [worker.exitcode for worker in workers]
    if any(code == WORKER_INTERRUPTED for code in codes):
        return INTERRUPTED
    if any(code != 0 for code in codes):
        raise RuntimeError(f"a search worker failed (exit codes {codes}); see its output above")
    return "done"


def _worker_main(options: SearchOptions, index: int, echo: Echo | None) -> None:
    raise SystemExit(WORKER_INTERRUPTED if _work(options, index, echo) == INTERRUPTED else 0)


def _work(options: SearchOptions, worker: int, echo: Echo | None) -> str:
    """Pull trials until the grid is done, this worker's share of --trials is spent, or Ctrl-C."""
    study = open_study(options, worker)
    objective = _Objective(options, study, echo)
    previous = signal.signal(signal.SIGINT, objective.interrupt)
    share = _share(options, worker)
    try:
        while (not objective.interrupted and (share is None or objective.trials < share)
               and _more_to_do(options, study)):
            study.optimize(objective, n_trials=1, catch=(Exception,), callbacks=[objective.after_trial],
                           gc_after_trial=False)
    finally:
        signal.signal(signal.SIGINT, previous)
    return INTERRUPTED if objective.interrupted else "done"


def _share(options: SearchOptions, worker: int) -> int | None:
    """This worker's part of --trials (None: until the grid is done), so the total is exact."""
    trials = options.trials
    if trials is None and options.sampler_name != "grid":
        trials = DEFAULT_TRIALS
    if trials is None:
        return None
    return trials // options.jobs + (1 if worker < trials % options.jobs else 0)


def _more_to_do(options: SearchOptions, study: Any) -> bool:
    """For a grid: points are waiting, or still running elsewhere (waited for).

    If the worker of a RUNNING point died, Optuna's heartbeat check fails it after the grace
    period and queues it again, and this worker then trains it.
    """
    import optuna
    from optuna.trial import TrialState

    if options.sampler_name != "grid":
        return True
    while True:
        trials = study.get_trials(deepcopy=False)
        if any(t.state == TrialState.WAITING for t in trials):
            return True
        if not any(t.state == TrialState.RUNNING for t in trials):
            return False
        optuna.storages.fail_stale_trials(study)
        time.sleep(min(options.heartbeat_seconds, 1.0))


class _Objective:
    """Train one configuration; report its best validation accuracy to Optuna."""

    def __init__(self, options: SearchOptions, study: Any, echo: Echo | None) -> None:
        self.options, self.study, self.echo = options, study, echo
        self.trainer: Any = None
        self.interrupted = False
        self.trials = 0  # trials this worker has finished
        self.durations: list[float] = []

    def interrupt(self, signum: int, frame: Any) -> None:
        """First Ctrl-C: stop the current trial cleanly (it runs again next time)."""
        self.interrupted = True
        if self.trainer is not None:
            self.trainer.request_stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def __call__(self, trial: Any) -> float:
        from npnn.training import TrainConfig, Trainer
        from npnn.training.evaluation import evaluate_run

        started = time.perf_counter()
        params = {param.name: param.suggest(trial) for param in self.options.space.params}
        original = _duplicate_of(self.study, trial)
        if original is not None:
            import optuna

            trial.set_user_attr("duplicate_of", original)
            raise optuna.TrialPruned(f"grid point already trained by trial {original}")
        try:
            values = self.options.space.values(params, self.options.overrides)
            trial.set_user_attr("config", values)  # recorded first, so a refused config has a row
            config = TrainConfig.from_dict(values)
            reporter = _PruningReporter(trial) if self.options.prune else None
            self.trainer = Trainer.create(config, Path(self.options.out) / "runs",
                                          run_id=f"trial-{trial.number:04d}", reporter=reporter)
            if reporter is not None:
                reporter.trainer = self.trainer
            trial.set_user_attr("run_dir", str(self.trainer.run.path))
            result = self.trainer.fit()
            if result.status == INTERRUPTED:
                self._queue_again(trial)
                raise TrialInterruptedError("interrupted by Ctrl-C; queued to run again")
            if result.status == DIVERGED:
                raise TrialDivergedError(result.detail["reason"])
            if result.status == PRUNED:
                import optuna

                raise optuna.TrialPruned(f"pruned at step {result.steps}")
            trial.set_user_attr("test_accuracy", evaluate_run(result.run_dir, "test")["accuracy"])
            trial.set_user_attr("seconds", time.perf_counter() - started)
            return result.best.val_accuracy
        except Exception as error:
            trial.set_user_attr("seconds", time.perf_counter() - started)
            if type(error).__name__ != "TrialPruned":
                trial.set_user_attr("fail_reason", f"{type(error).__name__}: {error}")
            raise
        finally:
            self.trainer = None

    def _queue_again(self, trial: Any) -> None:
        """Re-queue an interrupted trial's parameters (and grid point) as a waiting trial."""
        import optuna

        self.study.add_trial(optuna.trial.create_trial(
            state=optuna.trial.TrialState.WAITING, params=trial.params,
            distributions=trial.distributions, system_attrs=dict(trial.system_attrs),
        ))

    def after_trial(self, study: Any, trial: Any) -> None:
        """Rewrite the CSV and print one line about the trial that just finished."""
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

    mine = study._storage.get_trial(trial._trial_id)
    for other in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING)):
        if other.number == trial.number or other.params != mine.params:
            continue
        if other.state == TrialState.COMPLETE:
            return other.number
        if (other.datetime_start, other.number) < (mine.datetime_start, mine.number):
            return other.number
    return None


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
