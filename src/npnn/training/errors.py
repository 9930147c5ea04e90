"""Why a run cannot go on: finished already, cannot be resumed, or stopped by the machine."""

from __future__ import annotations

import errno
from typing import Any, NamedTuple

from npnn.training.run_dir import RunDir


class ResumeError(RuntimeError):
    """A run that cannot be continued; the message says why and what to do instead."""


class MachineStoppedError(OSError):
    """A fault of the machine (a full disk, an I/O or permission error, no memory) stopped the
    work, which is left to be continued once fixed; the message says what to fix and how.

    Its `errno` and `filename` are the fault's (ENOMEM for no memory), so that whoever catches
    it can tell a fault of the machine from a failure of the work."""

    def __init__(self, message: str, number: int | None = None, filename: str | None = None) -> None:
        super().__init__(message)
        self.errno, self.filename = number, filename

    def __str__(self) -> str:  # the message, not OSError's "[Errno N] ...: 'file'"
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[Any, ...]:  # errno and filename survive a process queue
        return type(self), (str(self), self.errno, self.filename)


class TrainingStoppedError(MachineStoppedError):
    """The machine stopped training; the run is left resumable."""


# errors of the machine, not of the work: training (or a search) stops resumable, never 'failed'
FIXES = {errno.ENOSPC: "free some space", errno.EIO: "check the disk",
         errno.EACCES: "fix its permissions", errno.EPERM: "fix its permissions",
         errno.EROFS: "make the file system writable",
         errno.ENOMEM: "free memory (or start a smaller run: --hidden, --batch-size)",
         getattr(errno, "EDQUOT", errno.ENOSPC): "free some space (or raise the quota)"}
ENVIRONMENT_ERRNOS = frozenset(FIXES)
# a nameless EIO or EPIPE is the terminal's (a hangup, a closed pipe): every write of the run
# directory names its file (serialization.naming_file)
TERMINAL_ERRNOS = frozenset({errno.EIO, errno.EPIPE})


class MachineFault(NamedTuple):
    """What went wrong, what to fix, and the errno and file of a fault of the machine."""

    problem: str
    fix: str
    errno: int
    filename: str | None = None


def machine_fault(error: BaseException) -> MachineFault | None:
    """The fault of the machine that `error` is (a full disk, an I/O or permission error, no
    memory), which stops the work resumable; None for any other error."""
    if isinstance(error, MemoryError):
        return MachineFault("ran out of memory", FIXES[errno.ENOMEM], errno.ENOMEM)
    if not isinstance(error, OSError) or error.errno not in ENVIRONMENT_ERRNOS:
        return None
    if error.filename is None and error.errno in TERMINAL_ERRNOS:
        return None
    what = f"cannot write {error.filename}" if error.filename else "an I/O error"
    return MachineFault(f"{what}: {error.strerror}", FIXES[error.errno], error.errno, error.filename)


def fix_for(number: int | None) -> str:
    """What to do about the fault with this errno."""
    return FIXES.get(number if number is not None else errno.EIO, "fix it")


class RunCompleteError(ResumeError):
    """The run finished (or stopped early) already: there is nothing left to train."""

    def __init__(self, run: RunDir, status: dict[str, Any]) -> None:
        best = status.get("best") or {}
        accuracy = best.get("val_accuracy")
        summary = f"{status['status'].replace('_', ' ')} at step {status.get('step', '?')}"
        if isinstance(accuracy, (int, float)):
            summary += f", best validation accuracy {accuracy:.2%}"
        super().__init__(f"{run.path} is already complete ({summary}); nothing to resume. "
                         f"Test it with `npnn test {run.path}`")
        self.run, self.status = run, status
