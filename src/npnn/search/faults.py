"""Faults of the machine, not of a trial: a full disk, an I/O error, a refused write, a signal.

Such a fault says nothing about the trial's configuration, so the trial in progress is queued
again instead of failed, and the search stops with one message: rerunning the same command
after fixing the cause resumes it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

# errno values that a retry after fixing the machine (not the configuration) cures
ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EACCES, errno.EPERM, errno.EROFS}
# SQLite reports the same faults in words, inside SQLAlchemy's OperationalError
SQLITE_FAULTS = {"database or disk is full": errno.ENOSPC, "disk i/o error": errno.EIO,
                 "attempt to write a readonly database": errno.EROFS,
                 "unable to open database file": errno.EACCES}
FIXES = {errno.ENOSPC: "free some space", errno.EDQUOT: "free some space (or raise the quota)",
         errno.EIO: "check the disk", errno.EACCES: "fix its permissions", errno.EPERM: "fix its permissions",
         errno.EROFS: "make the file system writable"}
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # all stop a search like Ctrl-C


class SearchStoppedError(OSError):
    """An environment fault stopped the search; its trial in progress was queued again."""


def environment_fault(error: BaseException, study_db: str | None = None) -> OSError | None:
    """The OSError behind `error` when it is an environment fault, else None.

    Looks through the exception's causes; SQLite's messages become an OSError on `study_db`.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, SearchStoppedError):
            return current
        if isinstance(current, OSError) and current.errno in ENVIRONMENT_ERRNOS:
            return current
        text = str(current).lower()
        for message, number in SQLITE_FAULTS.items():
            if message in text and type(current).__name__ in ("OperationalError", "DatabaseError"):
                return OSError(number, os.strerror(number), study_db)
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return None


@contextlib.contextmanager
def faults_in_threads(study_db: str | None = None) -> Iterator[list[OSError]]:
    """Collect the faults of the machine that end a background thread (Optuna's heartbeat, when
    the disk fills up) instead of letting each print a traceback; other errors print as before."""
    faults: list[OSError] = []
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        fault = environment_fault(args.exc_value, study_db) if args.exc_value is not None else None
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
    fix = FIXES.get(fault.errno or errno.EIO, "fix it")
    return SearchStoppedError(f"{name}: {reason}; the search stopped{queued}: {fix}, then rerun the "
                              "same command to continue")


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
