"""Frameworks that train in turns: every worker of a config stays alive and trains one epoch when told.

This VM's speed changes from one moment to the next (the same worker ran 0.42 s and 0.69 s per
epoch in two runs a few seconds apart), and a worker that ran its epochs alone, start to
finish, often met another speed than the framework it was compared with. Here the epochs of
all frameworks alternate (A B C, then B C A reversed, ...), so each pair of epochs that a ratio compares
ran seconds apart. Each framework still has a process of its own: in one process, OpenBLAS's
spinning threads slowed PyTorch 20-fold.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from runner import busy_cpu_seconds, kill_session, last_line, others_share

# starts every line a worker means for us (workers/common.py has the same constant)
REPLY_PREFIX = "npnn-bench "
# after an epoch, BLAS and OpenMP worker threads keep spinning for up to ~0.1 s before they
# sleep; the next worker starts only after this pause, so it never shares the cores with them
SETTLE_SECONDS = 0.3


class WorkerError(Exception):
    """The worker died, timed out or said something we did not expect; the message says which."""


class LockstepWorker:
    """One worker process (`workers/*.py`), driven over its stdin and stdout."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], timeout: float) -> None:
        self.timeout = timeout
        # a file, so that a chatty worker never blocks on a full pipe; it lives as long as we do
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        self._buffer = b""
        self.started = time.perf_counter()
        self.process = subprocess.Popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self._errors, env=env, start_new_session=True)

    def wait_ready(self) -> None:
        """Wait out the imports, the data and the warm-up epochs."""
        if not self._read_reply().get("ready"):
            raise WorkerError("it did not say it was ready")

    def epoch(self) -> dict[str, Any]:
        """Train one epoch; its seconds, loss and this process's CPU seconds, and the share of the
        machine's CPU that other processes used meanwhile (None off Linux)."""
        busy_before = busy_cpu_seconds()
        self._send("epoch")
        reply = self._read_reply()
        busy_after = busy_cpu_seconds()
        if "seconds" not in reply:
            raise WorkerError(f"unexpected reply {reply}")
        if reply["seconds"] <= 0:
            return {**reply, "others_cpu": None}
        return {**reply, "others_cpu": others_share(busy_before, busy_after, reply["cpu"], reply["seconds"])}

    def stop(self) -> float:
        """Let the worker write its result file and exit; returns its whole life in seconds."""
        with contextlib.suppress(OSError):
            self._send("stop")
            self.process.stdin.close()  # type: ignore[union-attr]
        try:
            self.process.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise WorkerError(f"did not exit within {self.timeout:.0f} s") from None
        if self.process.returncode != 0:
            raise WorkerError(self.error_line())
        return time.perf_counter() - self.started

    def kill(self) -> None:
        """SIGKILL the worker's whole session; gone already is fine."""
        kill_session(self.process.pid)
        self.process.wait()

    def error_line(self) -> str:
        """The last line the worker wrote to stderr, or its exit status."""
        self._errors.seek(0)
        return last_line(self._errors.read().decode(errors="replace")) or f"exit status {self.process.poll()}"

    def _send(self, command: str) -> None:
        try:
            self.process.stdin.write(f"{command}\n".encode())  # type: ignore[union-attr]
            self.process.stdin.flush()  # type: ignore[union-attr]
        except OSError:
            raise WorkerError(self._death()) from None

    def _read_reply(self) -> dict[str, Any]:
        """The next line that starts with REPLY_PREFIX (anything else a library prints is skipped)."""
        deadline = time.perf_counter() + self.timeout
        while True:
            line = self._read_line(deadline)
            if line.startswith(REPLY_PREFIX):
                return json.loads(line[len(REPLY_PREFIX):])

    def _read_line(self, deadline: float) -> str:
        stdout = self.process.stdout
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
            while b"\n" not in self._buffer:
                left = deadline - time.perf_counter()
                if left <= 0 or not selector.select(left):
                    self.kill()
                    raise WorkerError(f"no answer within {self.timeout:.0f} s")
                chunk = os.read(stdout.fileno(), 65536)  # type: ignore[union-attr]
                if not chunk:
                    raise WorkerError(self._death())
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode(errors="replace")

    def _death(self) -> str:
        self.process.wait()
        return self.error_line()


def run_in_turns(workers: dict[str, LockstepWorker], epochs: int) -> dict[str, list[dict[str, Any]]]:
    """Train `epochs` epochs of every worker, one epoch at a time, each turn in another order.

    Returns each worker's epoch records; a worker that fails is killed and left out of the
    later turns, with its error as `{"failed": message}` at the end of its records.
    """
    records: dict[str, list[dict[str, Any]]] = {name: [] for name in workers}
    names = list(workers)
    if not names:  # none started (not installed, or failed): nothing to take turns
        return records
    time.sleep(SETTLE_SECONDS)  # the last worker's warm-up just ended
    for turn in range(epochs):
        shift = turn % len(names)
        order = names[shift:] + names[:shift]
        for name in order if turn % 2 == 0 else order[::-1]:
            if records[name] and "failed" in records[name][-1]:
                continue
            try:
                records[name].append(workers[name].epoch())
            except WorkerError as failure:
                records[name].append({"failed": str(failure)})
            time.sleep(SETTLE_SECONDS)
    return records
