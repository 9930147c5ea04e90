"""One process at a time in a run directory: an OS lock on its `.lock` file.

The lock is `flock`, so the kernel releases it when the holding process dies, however it dies;
a stale `.lock` file is harmless. The file holds the holder's PID and what it is doing, for
the message. Where there is no `fcntl` (Windows), or the file system has no locks (some NFS
and FUSE mounts), runs are not locked: training goes on as it would without the lock.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".lock"
# flock's errors on a file system that cannot lock: run unlocked there, as on Windows
NO_LOCKS = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS})


class RunBusyError(BlockingIOError):
    """Another process is working in the run directory (an OSError, so the CLI prints one line)."""

    def __init__(self, run_path: Path, pid: int | None, doing: str = "trained") -> None:
        holder = f"process {pid}" if pid is not None else "another process"
        super().__init__(f"{run_path} is being {doing} by {holder}; wait for it or stop it")
        self.run_path, self.pid = run_path, pid


class RunLock:
    """An exclusive lock on a run directory, held until `release()` or the end of its `with`
    block; `doing` ('trained', 'tested') tells a process that finds it taken why."""

    def __init__(self, run_path: str | Path, doing: str = "trained") -> None:
        self.path = Path(run_path) / LOCK_NAME
        self._descriptor: int | None = None
        if fcntl is None:
            return
        descriptor = _open(self.path)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(descriptor)
            if error.errno == errno.EWOULDBLOCK:
                raise RunBusyError(Path(run_path), *_read_holder(self.path)) from None
            if error.errno in NO_LOCKS:
                return
            raise
        self._descriptor = descriptor
        try:  # best effort: a full disk may refuse even these few bytes
            os.ftruncate(descriptor, 0)
            os.write(descriptor, f"{os.getpid()} {doing}\n".encode())
        except OSError:
            pass

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing the file releases the flock
            self._descriptor = None

    def __del__(self) -> None:
        self.release()  # a last resort only: when an object is freed is not for code to count on

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _open(path: Path) -> int:
    """The lock file, made if need be; never followed through a symbolic link, which would have
    npnn write wherever the link points. Other errors (EACCES, EROFS...) name the file."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP or path.is_symlink():
            raise OSError(f"{path} is a symbolic link, not the lock file npnn makes there; remove "
                          "it and try again") from None
        raise


def _read_holder(path: Path) -> tuple[int | None, str]:
    """(PID, what it is doing) written by the holder of the lock at `path`, as far as known."""
    try:
        words = path.read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        words = []
    pid = int(words[0]) if words and words[0].isdigit() else None
    return pid, words[1] if len(words) > 1 and words[1].isalpha() else "trained"
