"""Faults of the machine, not of a trial: a full disk, an I/O error, a refused write, no memory.

Such a fault says nothing about the trial's configuration, so the trial in progress is queued
again instead of failed, and the search stops with one message: rerunning the same command
after fixing the cause resumes it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from npnn.training.errors import MachineStoppedError, fix_for, machine_fault

# SQLite reports the machine's faults in words, inside SQLAlchemy's OperationalError
SQLITE_FAULTS = {"database or disk is full": errno.ENOSPC, "disk i/o error": errno.EIO,
                 "attempt to write a readonly database": errno.EROFS,
                 "unable to open database file": errno.EACCES}


class SearchStoppedError(MachineStoppedError):
    """A fault of the machine stopped the search; its trial in progress was queued again."""


def fault_in_chain(error: BaseException, study_db: str | None = None) -> OSError | None:
    """The fault of the machine behind `error` (an OSError), else None.

    Follows the exception's causes (and its context, unless raised `from None`): a stopped
    training run, an OSError of a full disk or a refused write, no memory, or SQLite's words
    for those (as an OSError on `study_db`).
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, MachineStoppedError):
            return current
        fault = machine_fault(current)
        if fault is not None:
            return current if isinstance(current, OSError) else OSError(fault.errno, fault.problem)
        text = str(current).lower()
        for message, number in SQLITE_FAULTS.items():
            if message in text and type(current).__name__ in ("OperationalError", "DatabaseError"):
                return OSError(number, os.strerror(number), study_db)
        current = _cause(current)
    return None


def _cause(error: BaseException) -> BaseException | None:
    """The exception behind `error`: SQLAlchemy's `orig`, the `from` cause, or the one being
    handled when it was raised (unless raised `from None`)."""
    orig = getattr(error, "orig", None)
    if isinstance(orig, BaseException):
        return orig
    if error.__cause__ is not None or error.__suppress_context__:
        return error.__cause__
    return error.__context__


@contextlib.contextmanager
def faults_in_threads(study_db: str | None = None) -> Iterator[list[OSError]]:
    """Collect the faults of the machine that end a background thread (Optuna's heartbeat, when
    the disk fills up) instead of letting each print a traceback; other errors print as before."""
    faults: list[OSError] = []
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        fault = fault_in_chain(args.exc_value, study_db) if args.exc_value is not None else None
        if fault is None:
            previous(args)
        else:
            faults.append(fault)

    threading.excepthook = hook
    try:
        yield faults
    finally:
        threading.excepthook = previous


def stopped(fault: OSError, where: str | Path, queued: str = "") -> SearchStoppedError:
    """The one-line error for `fault`: the file, the reason, what to do (`queued`: which trial
    waits to run again)."""
    if isinstance(fault, SearchStoppedError):
        return fault
    name = fault.filename if fault.filename is not None else where
    reason = fault.strerror or os.strerror(fault.errno or errno.EIO)
    return SearchStoppedError(f"{name}: {reason}; the search stopped{queued}: {fix_for(fault.errno)}, "
                              "then rerun the same command to continue", fault.errno, fault.filename)


class LeaveRunning(BaseException):
    """Out of Optuna's reach: the trial stays RUNNING, so the heartbeat check retries it on the
    next run (used when not even queueing it again could be written)."""
