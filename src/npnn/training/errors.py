"""Why a run cannot go on: finished already, cannot be resumed, or stopped by the machine."""

from __future__ import annotations

import errno
from typing import Any

from npnn.training.run_dir import RunDir


class ResumeError(RuntimeError):
    """A run that cannot be continued; the message says why and what to do instead."""


class TrainingStoppedError(OSError):
    """The environment stopped training (a full disk, an I/O error, no permission, no memory);
    the run is left resumable, and the message says what to fix and how to continue."""


# errors of the machine, not of the run: training stops resumable, never 'failed' for good
FIXES = {errno.ENOSPC: "free some disk space", errno.EIO: "check the disk",
         errno.EACCES: "fix the folder's permissions", errno.EPERM: "fix the folder's permissions",
         errno.EROFS: "make the file system writable",
         getattr(errno, "EDQUOT", errno.ENOSPC): "free some disk space"}
ENVIRONMENT_ERRNOS = frozenset(FIXES)


def environment_fault(error: BaseException) -> tuple[str, str] | None:
    """(what went wrong, what to fix) when `error` is the machine's fault (a full disk, an I/O or
    permission error, no memory), which stops training resumable; None for any other error."""
    if isinstance(error, MemoryError):
        return "ran out of memory", "free memory (or start a smaller run: --hidden, --batch-size)"
    if isinstance(error, OSError) and error.errno in ENVIRONMENT_ERRNOS:
        what = f"cannot write {error.filename}" if error.filename else "an I/O error"
        return f"{what}: {error.strerror}", FIXES[error.errno]
    return None


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
