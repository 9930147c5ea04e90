"""Trials that share a layout, trained together by the population trainer (training/population).

A worker takes the waiting grid points that share a population key (or, for the random
sampler, asks for several points at once), up to `population_size` of them, trains them as one
stacked model, and tells Optuna each member's result as its own trial, as the one-by-one
objective (`Objective` in objective.py) would: the same attributes, run directories, CSV rows and
progress lines. Points that cannot train in a population train one by one.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import optuna
from optuna.trial import TrialState

from npnn import random
from npnn.search.faults import LeaveRunning
from npnn.training import TrainConfig
from npnn.training.population import PopulationError, PopulationTrainer, population_key


def next_key(study: Any, options: Any) -> str | None:
    """The population key of the grid point the queue gives next (None: none waits, or it
    trains alone)."""
    waiting = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
    if not waiting:
        return None
    fixed = waiting[0].system_attrs.get("fixed_params") or waiting[0].params
    return _key(fixed, options)


def _key(params: dict[str, Any], options: Any) -> str | None:
    try:
        values = options.space.values({name: value for name, value in params.items()}, options.overrides)
        return population_key(TrainConfig.from_dict(values))
    except (ValueError, TypeError):
        return None


def take_trials(study: Any, options: Any, limit: int | None) -> list[Any]:
    """Ask for trials that can train together: for a grid, the waiting points with the key of the
    first, in queue order; for the random sampler, `limit` points (grouped later)."""
    size = min(options.population_size, limit) if limit is not None else options.population_size
    first = _ask(study)
    trials = [first]
    if options.sampler_name != "grid":
        trials += [_ask(study) for _ in range(size - 1)]
        return trials
    key = _key(_fixed_params(study, first), options)
    if key is not None:
        size = min(size, _fair_share(study, options, key))
    while key is not None and len(trials) < size and next_key(study, options) == key:
        trials.append(_ask(study))
    return trials


def _fair_share(study: Any, options: Any, key: str) -> int:
    """The grid points of this key shared out over the --jobs workers, so that they start
    together on the largest layout rather than one taking all of it."""
    trials = study.get_trials(deepcopy=False)
    grid = (trial.system_attrs.get("fixed_params") or trial.params for trial in trials)
    points = {json.dumps(params, sort_keys=True) for params in grid if _key(params, options) == key}
    return max(1, -(-len(points) // options.jobs))


def _ask(study: Any) -> Any:
    with warnings.catch_warnings():  # heartbeats are recorded by `heartbeats`, not study.optimize
        warnings.filterwarnings("ignore", message="Heartbeat of storage")
        return study.ask()


def _fixed_params(study: Any, trial: Any) -> dict[str, Any]:
    frozen = study._storage.get_trial(trial._trial_id)
    return frozen.system_attrs.get("fixed_params") or {}


@contextlib.contextmanager
def heartbeats(study: Any, trials: list[Any], interval: float) -> Iterator[None]:
    """Record the trials' heartbeats while they train, as study.optimize does for one trial."""
    storage = study._storage
    if not hasattr(storage, "record_heartbeat") or not interval:
        yield
        return
    done = threading.Event()

    def beat() -> None:
        while True:
            for trial in trials:
                with contextlib.suppress(Exception):  # the trial may have ended meanwhile
                    storage.record_heartbeat(trial._trial_id)
            if done.wait(interval):
                return

    thread = threading.Thread(target=beat, name="npnn-population-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def train_together(objective: Any, study: Any, trials: list[Any]) -> None:
    """Train `trials` (RUNNING) and tell Optuna each one's end; members that share a key and a
    position form one population, the others train alone."""
    with heartbeats(study, trials, objective.options.heartbeat_seconds):  # all, until each ends
        ready: list[tuple[Any, Any, Any]] = []  # (trial, config, reporter)
        for trial in trials:
            ended = _settle(objective, study, trial, lambda trial=trial: _prepared(objective, trial))
            if ended is not None:
                ready.append((trial, *ended))
        groups: dict[Any, list[tuple[Any, Any, Any]]] = {}
        for trial, config, reporter in ready:
            key = population_key(config) or f"alone-{trial.number}"
            groups.setdefault(key, []).append((trial, config, reporter))
        for group in groups.values():
            if objective.stopper.signal or objective.fault is not None:
                for trial, _, _ in group:  # not started: back to the queue
                    _end(objective, study, trial, objective._queue_again(trial, "the search stopped"))
                continue
            _train_group(objective, study, group, time.perf_counter())


def _prepared(objective: Any, trial: Any) -> tuple[Any, Any]:
    objective.check_duplicate(trial)
    return objective.prepare(trial)


def _settle(objective: Any, study: Any, trial: Any, work: Any) -> Any:
    """Run `work()` for the trial; if it raises, end the trial as Optuna ends one whose objective
    raised, and return None."""
    try:
        return work()
    except optuna.TrialPruned:
        _tell(objective, study, trial, TrialState.PRUNED)
    except Exception as error:
        _end(objective, study, trial, objective.failure(trial, error, objective.options.out, 0.0))
    return None


def _tell(objective: Any, study: Any, trial: Any, state: TrialState, value: float | None = None) -> None:
    study.tell(trial, value, state=state) if value is not None else study.tell(trial, state=state)
    objective.after_trial(study, study._storage.get_trial(trial._trial_id))


def _train_group(objective: Any, study: Any, group: list[tuple[Any, Any, Any]], started: float) -> None:
    """Create (or resume) each member's run, train those at one position together, tell each.
    The data is loaded once: the members' configs agree on it."""
    members, rngs = [], []
    data = None
    for trial, config, reporter in group:
        trainer = _settle(objective, study, trial,
                          lambda trial=trial, config=config, reporter=reporter, data=data:
                          objective.trainer(trial, config, reporter, data))
        if trainer is not None:
            members.append((trial, trainer))
            rngs.append(random.get_rng_state())
            data = data or (trainer.train_set, trainer.val_set)
    by_step: dict[int, list[int]] = {}
    for index, (_, trainer) in enumerate(members):
        by_step.setdefault(trainer.position.step, []).append(index)
    for indices in by_step.values():
        chosen = [members[i] for i in indices]
        _fit(objective, study, chosen, [rngs[i] for i in indices], started)


def _fit(objective: Any, study: Any, members: list[tuple[Any, Any]], rngs: list[Any],
         started: float) -> None:
    trials = [trial for trial, _ in members]
    trainers = [trainer for _, trainer in members]
    try:
        runner: Any = trainers[0] if len(trainers) == 1 else PopulationTrainer(trainers, rngs)
    except PopulationError:  # e.g. runs resumed with changed settings: each trains alone
        for member, rng in zip(members, rngs, strict=True):
            _fit(objective, study, [member], [rng], time.perf_counter())
        return
    objective.stopper.trainer = runner
    if objective.stopper.signal:
        runner.request_stop()
    try:
        fitted = runner.fit()
    except KeyboardInterrupt:  # a second Ctrl-C
        for trial in trials:
            _end(objective, study, trial, objective._queue_again(trial, "aborted by Ctrl-C"))
        return
    except Exception as error:
        seconds = (time.perf_counter() - started) / len(trials)
        for trial, trainer in members:
            _end(objective, study, trial, objective.failure(trial, error, trainer.run.path, seconds))
        return
    finally:
        for trainer in trainers:
            trainer.release()
        objective.stopper.trainer = None
    results = [fitted] if len(trainers) == 1 else fitted
    seconds = (time.perf_counter() - started) / len(trials)  # the population's time, shared
    for trial, result, trainer in zip(trials, results, trainers, strict=True):
        if isinstance(result, Exception):  # this member's own error; the others went on
            _end(objective, study, trial, objective.failure(trial, result, trainer.run.path, seconds))
            continue
        try:
            value = objective.outcome(trial, result, seconds)
        except (optuna.TrialPruned, LeaveRunning) as ending:
            _end(objective, study, trial, ending)
        except Exception as error:
            _end(objective, study, trial, objective.failure(trial, error, result.run_dir, seconds))
        else:
            _tell(objective, study, trial, TrialState.COMPLETE, value)


def _end(objective: Any, study: Any, trial: Any, ending: BaseException) -> None:
    """End the trial as Optuna would have ended it for an objective that raised `ending`."""
    if isinstance(ending, LeaveRunning):
        return  # not even its queueing again could be written: the heartbeat check retries it
    pruned = isinstance(ending, optuna.TrialPruned)
    _tell(objective, study, trial, TrialState.PRUNED if pruned else TrialState.FAIL)
