"""Helpers of the fault-injection suite: fresh `npnn` processes with one BLAS thread."""

from __future__ import annotations

import builtins
import errno
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "data"))
# the fake Fashion-MNIST files and the HTTP server of the download tests
from data_fakes import (  # noqa: E402
    Handler,
    Server,
    fake_arrays,
    fake_sha256,
    isolate_data_lookup,
    write_fake,
)

__all__ = ["ENV", "SRC", "TINY", "Handler", "Server", "dead_pid", "fail_writes", "fake_arrays",
           "fake_sha256", "isolate_data_lookup", "model_arrays", "npnn_cli", "python", "write_fake"]
SRC = str(TESTS.parent / "src")
# one BLAS thread: subprocess runs compared bitwise must do their sums in the same order
ENV = {**os.environ, "PYTHONPATH": SRC, "PYTHONUNBUFFERED": "1", "OPENBLAS_NUM_THREADS": "1",
       "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
TINY = ["--hidden", "16", "--epochs", "1", "--train-subset", "300", "--batch-size", "100", "--quiet",
        "--no-test"]


def npnn_cli(*args: object, env: dict[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m npnn ARGS` in a fresh process."""
    return subprocess.run([sys.executable, "-m", "npnn", *map(str, args)], capture_output=True, text=True,
                          env=env or ENV, timeout=timeout)


def python(code: str, *args: object, **popen: object) -> subprocess.Popen:
    """Start `python -c CODE ARGS` with npnn importable; stdout and stderr piped as text."""
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def dead_pid() -> int:
    """The PID of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def model_arrays(path: Path) -> dict:
    """The model's arrays in a checkpoint: best.safetensors holds only them, last.safetensors
    holds them under "model" beside the optimizer and the rest."""
    import npnn

    value = npnn.load(path)
    return value.get("model", value)


def fail_writes(monkeypatch, name: str, nth: int = 1, code: int = errno.ENOSPC) -> list[int]:
    """From the `nth` write of a file called `name` on, fail as a full disk does (OSError `code`,
    naming no file, as write() and fsync() do): atomic writes at their rename, appends to
    train.log at open. Returns a one-item list counting the writes tried."""
    from npnn import serialization
    from npnn.training import run_dir

    tried = [0]
    publish, real_open = serialization.publish, builtins.open

    def fail(path) -> bool:
        if Path(path).name != name:
            return False
        tried[0] += 1
        return tried[0] >= nth

    def failing_publish(temp, path):
        if fail(path):
            raise OSError(code, os.strerror(code))
        publish(temp, path)

    def failing_open(path, *args, **kwargs):
        if fail(path):
            raise OSError(code, os.strerror(code))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(serialization, "publish", failing_publish)
    monkeypatch.setattr(run_dir, "open", failing_open, raising=False)  # train.log appends (RunDir.append_log)
    return tried
