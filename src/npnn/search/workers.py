"""The processes of a search: stop signals, `--jobs` worker processes, and what happens when
one of them (or their parent) dies.

Ctrl-C, SIGTERM and SIGHUP all stop a search cleanly. With `--jobs N` the workers run in
their own process group, so that a signal reaches them only through the parent, once; a
worker whose parent dies stops by itself, and the trial of a worker that was killed is queued
again at once (by the parent, or by the next run on the same machine).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import optuna
from optuna.trial import TrialState

from npnn.search.faults import SearchStoppedError
from npnn.search.study import SearchOptions, open_study
from npnn.serialization import process_running
from npnn.training.stop_signals import STOP_SIGNALS, StopSignals, install, restore, signal_name

WORKER_FAULT = 3  # a worker process's exit status after a fault of the machine (disk full, ...)
RETRY_ATTEMPTS = 4  # tries to queue a killed worker's trial again at once, 0.5-2 s apart
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# work(options, worker index, echo, stopper) -> the stop signal (0: none); module-level, so
# that a spawned worker process can import it
Work = Callable[[SearchOptions, int, Any, StopSignals], int]


class WorkerDiedError(ChildProcessError):
    """A search worker process was killed or crashed; the message says what became of its trial."""


def work_in_processes(options: SearchOptions, echo: Any, work: Work) -> int:
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
    previous = install(forward)
    try:
        try:
            os.environ.update({name: str(threads) for name in BLAS_THREAD_VARIABLES})
            for index in range(options.jobs):
                workers.append(context.Process(target=_worker_main,
                                               args=(options, index, echo, faults, os.getpid(), work)))
                workers[-1].start()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        deaths = _wait(options, workers, forward)
    except BaseException:
        forward.stop_workers()  # no worker trains on after its parent has given up
        for worker in workers:
            if worker.pid is not None:
                worker.join()
        raise
    finally:
        restore(previous)
    if not faults.empty():
        raise faults.get()
    if deaths:
        raise WorkerDiedError("; ".join(deaths))
    codes = [worker.exitcode for worker in workers]
    return forward.signal or next((code - 128 for code in codes if code and code > 128), 0)


def _wait(options: SearchOptions, workers: list[Any], forward: _Forwarder) -> list[str]:
    """Wait for every worker; stop the others when one hits a fault of the machine, retry at
    once the trial of one that was killed. Returns what happened to workers that died: killed
    by a signal not sent through this process, or failed with an error."""
    deaths, pending = [], list(workers)
    while pending:
        multiprocessing.connection.wait([worker.sentinel for worker in pending])
        for worker in [worker for worker in pending if worker.exitcode is not None]:
            pending.remove(worker)
            number, code = workers.index(worker) + 1, worker.exitcode
            if code == WORKER_FAULT:
                forward.stop_workers()  # the others would meet the same fault
            elif code < 0 and not forward.signal:
                deaths.append(f"search worker {number} was killed by {signal_name(-code)} "
                              f"(signal {-code}); {_retry_killed(options)}")
            elif code > 0 and code - 128 not in STOP_SIGNALS:
                deaths.append(f"search worker {number} failed with exit status {code} (see its "
                              "error above); rerun the same command to continue")
    return deaths


class _Forwarder:
    """The parent's handler of stop signals: the first is sent on to the workers as SIGTERM (a
    clean stop), a second Ctrl-C as SIGINT (abort the trials at once)."""

    def __init__(self, workers: list[Any]) -> None:
        self.workers, self.signal = workers, 0

    def __call__(self, signum: int, frame: Any) -> None:
        again = bool(self.signal) and signum == signal.SIGINT
        self.signal = self.signal or signum
        self.stop_workers(signal.SIGINT if again else signal.SIGTERM)

    def stop_workers(self, sent: int = signal.SIGTERM) -> None:
        """Send `sent` to the workers still running: SIGTERM stops each after its step, and
        queues its trial again."""
        for worker in self.workers:
            if worker.pid is not None and worker.exitcode is None:
                with contextlib.suppress(ProcessLookupError):  # it has just ended
                    os.kill(worker.pid, sent)


def _worker_main(options: SearchOptions, index: int, echo: Any, faults: Any, parent: int,
                 work: Work) -> None:
    os.setpgrp()  # the terminal's Ctrl-C reaches the parent only, which passes it on once
    _watch_parent(parent)
    stopper = StopSignals()
    install(stopper)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # blocked by the parent
    try:
        stop = work(options, index, echo, stopper)
    except SearchStoppedError as error:
        faults.put(error)
        raise SystemExit(WORKER_FAULT) from None
    except KeyboardInterrupt:  # a second Ctrl-C outside a trial: no traceback
        stop = signal.SIGINT
    finally:
        # on its way out, a stop sent now (the parent stopping the others after one met a full
        # disk) would kill it by the signal, which reads as a worker killed from outside
        for number in STOP_SIGNALS:
            signal.signal(number, signal.SIG_IGN)
    raise SystemExit(128 + stop if stop else 0)


def _watch_parent(parent: int) -> None:
    """Stop this worker as SIGTERM would when its parent dies: no orphan trains on for hours."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.25)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="npnn-parent-watch", daemon=True).start()


def _retry_killed(options: SearchOptions) -> str:
    """Queue again at once the trial a killed worker was training; say what became of it."""
    numbers: list[int] = []
    for attempt in range(RETRY_ATTEMPTS):  # the other workers may hold the storage a moment
        try:
            numbers = retry_orphans(open_study(options))
            break
        except Exception:  # still in trouble after the last try: the heartbeat check retries it later
            time.sleep(0.5 * (attempt + 1))
    if not numbers:
        return ("the trial it was training is retried by the heartbeat check "
                f"{options.grace_seconds} s after the kill, when you rerun the same command")
    return (f"its trial {', '.join(map(str, numbers))} was queued again; rerun the same command to "
            "finish what is left")


def retry_orphans(study: Any) -> list[int]:
    """Fail, and queue again, the RUNNING trials whose worker process on this machine has ended.

    The heartbeat check would do the same after its grace period; a process that is gone is
    known to be dead now. Returns the numbers of the trials queued again.
    """
    host, numbers = socket.gethostname(), []
    callback = study._storage.get_heartbeat_stale_trial_callback()
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        name, _, pid = str(trial.user_attrs.get("worker", "")).rpartition(":")
        if name != host or not pid.isdigit() or process_running(int(pid)):
            continue
        try:
            if not study._storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL):
                continue
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # another process got there first
        if callback is not None:
            callback(study, study._storage.get_trial(trial._trial_id))
        numbers.append(trial.number)
    return numbers


def worker_id(pid: int | None = None) -> str:
    """Which process trains a trial, on which machine (workers on several machines share a study)."""
    return f"{socket.gethostname()}:{pid or os.getpid()}"
