"""Start one child process with a fixed number of BLAS threads; return its output, time and peak RSS.

Every measurement runs in a child of its own: in one process, OpenBLAS's spinning threads
slowed PyTorch 20-fold, and a child's peak memory is then its own (os.wait4 reports it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# set before the child imports its BLAS: after that they are read no more
BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                         "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
POLL_SECONDS = 0.01
BUSY_ELSEWHERE = 0.05  # above this share of the CPU used by other processes, a measurement is suspect


def thread_env(threads: int) -> dict[str, str]:
    """This environment with every BLAS/OpenMP thread variable set to `threads`."""
    return {**os.environ, **{name: str(threads) for name in BLAS_THREAD_VARIABLES}, "PYTHONUNBUFFERED": "1"}


@dataclass
class Finished:
    """What a child left behind."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mib: float  # the child's (and its waited-for children's) largest resident set
    timed_out: bool
    # share of the machine's CPU time that other processes used meanwhile (None off Linux):
    # above a few percent, timings with several BLAS threads are not to be trusted
    others_cpu: float | None = None

    def reason(self) -> str:
        """One line saying why the child failed, for a table cell."""
        if self.timed_out:
            return f"timed out after {self.seconds:.0f} s"
        return last_line(self.stderr) or f"exit status {self.returncode}"


def last_line(text: str) -> str | None:
    """The last non-blank line of a child's stderr (its error, as a rule), or None."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else None


def others_share(busy_before: float | None, busy_after: float | None, own_cpu: float,
                 seconds: float) -> float | None:
    """The share of the machine's CPU time that processes other than ours used in `seconds`,
    from two busy_cpu_seconds() readings (None where there are none)."""
    if busy_before is None or busy_after is None:
        return None
    return max(0.0, busy_after - busy_before - own_cpu) / (seconds * (os.cpu_count() or 1))


def busy_warning(records: list[dict[str, Any]]) -> str | None:
    """A line naming how many measurements ran beside other busy processes (None: all ran alone)."""
    busy = [r for r in records if (r.get("others_cpu") or 0) > BUSY_ELSEWHERE]
    if not busy:
        return None
    return (f"warning: {len(busy)} of {len(records)} measurements ran while other processes used more "
            f"than {BUSY_ELSEWHERE:.0%} of the CPU (column 'busy elsewhere'); rerun on a quiet machine")


def kill_session(pid: int) -> None:
    """SIGKILL the child's whole session (it leads its process group); gone already is fine."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def busy_cpu_seconds() -> float | None:
    """CPU seconds all processes have spent so far, from /proc/stat (None where there is none)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")  # user..steal; guest is inside user


def run_child(argv: Sequence[str], env: dict[str, str], timeout: float) -> Finished:
    """Run `argv` to completion (killed after `timeout` seconds); output goes through temp files
    so a chatty child never blocks on a full pipe while we wait for it with os.wait4."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        busy_before, start = busy_cpu_seconds(), time.perf_counter()
        # a session of its own, so that stopping it also stops its children (search workers)
        process = subprocess.Popen(list(argv), stdout=out, stderr=err, env=env,
                                   start_new_session=True)
        timed_out = False
        try:
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                if not timed_out and time.perf_counter() - start > timeout:
                    kill_session(process.pid)
                    timed_out = True
                time.sleep(POLL_SECONDS)
        except BaseException:  # Ctrl-C reaches only us now: take the child's session down with us
            kill_session(process.pid)
            raise
        seconds, busy_after = time.perf_counter() - start, busy_cpu_seconds()
        others = others_share(busy_before, busy_after, usage.ru_utime + usage.ru_stime, seconds)
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return Finished(process.returncode, out.read().decode(errors="replace"),
                        err.read().decode(errors="replace"), seconds, usage.ru_maxrss / 1024, timed_out,
                        others)
