"""The run directory: one folder per run, with fixed file names."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from npnn.serialization import CheckpointError, atomic_write_json, finite_or_none, naming_file, read_json

# the `status` in status.json
CREATED, RUNNING, FINISHED, EARLY_STOPPED = "created", "running", "finished", "early_stopped"
INTERRUPTED, DIVERGED, FAILED = "interrupted", "diverged", "failed"
COMPLETE = (FINISHED, EARLY_STOPPED)


def _file(name: str) -> property:
    """A path property for one of the run directory's fixed file names."""
    return property(lambda self: self.path / name, doc=f"`{name}` in the run directory")


@dataclass(frozen=True)
class RunDir:
    """Paths inside `runs/<run_id>/`."""

    path: Path

    config = _file("config.json")
    history = _file("history.json")
    log = _file("train.log")
    best = _file("best.safetensors")
    last = _file("last.safetensors")
    status = _file("status.json")
    test = _file("test.json")
    val = _file("val.json")
    machine = _file("machine.json")

    @property
    def name(self) -> str:
        return self.path.name

    def append_log(self, message: str) -> None:
        """One timestamped line at the end of train.log (an OSError names the file)."""
        try:
            with open(self.log, "a", encoding="utf-8") as log:
                log.write(time.strftime("%Y-%m-%d %H:%M:%S ") + message + "\n")
        except OSError as error:
            raise naming_file(error, self.log) from error

    def write_status(self, status: str, **details: Any) -> None:
        atomic_write_json(self.status, {"status": status, **details})

    def record_stop(self, status: str, **details: Any) -> None:
        """Best effort, for a run that is stopping on an error: `write_status`, else (the disk is
        full) `overwrite_status` in place; never raises, as the error being raised says more."""
        try:
            self.write_status(status, **details)
        except OSError:
            with contextlib.suppress(OSError):
                self.overwrite_status(status, **details)

    def overwrite_status(self, status: str, **details: Any) -> None:
        """`write_status` for a full disk, where even a small temp file cannot be made: rewrite
        status.json in place, within the blocks it already has (a long `reason` is cut short to
        fit) and padded with spaces to its old length, so that no block is freed or needed. Not
        atomic; only for saying why training stopped. Should a write fail part way, the old
        text is put back."""
        descriptor = os.open(self.status, os.O_RDWR)
        try:
            info = os.fstat(descriptor)
            old = os.read(descriptor, info.st_size)
            room = max(info.st_size, getattr(info, "st_blocks", 0) * 512)  # st_blocks: 512-byte units
            data = _fitted({"status": status, **details}, room).ljust(info.st_size)
            try:
                _write_at_start(descriptor, data)
            except OSError:
                with contextlib.suppress(OSError):  # best effort: the error says more
                    _write_at_start(descriptor, old)
                raise
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def read_status(self) -> dict[str, Any]:
        """status.json as a dict with at least "status" ("unknown" when the file is missing)."""
        if not self.status.exists():
            return {"status": "unknown"}
        values = read_json(self.status)
        if not isinstance(values, dict) or not isinstance(values.get("status"), str):
            raise CheckpointError(f"{self.status}: no \"status\" in it; the file is damaged")
        return values


def _fitted(values: dict[str, Any], size: int) -> bytes:
    """`values` as status.json's text in at most `size` bytes: its `reason` cut short (ending in
    "...") if need be, else the status alone; OSError (ENOSPC) if not even that fits."""
    def encode(values: dict[str, Any]) -> bytes:
        return (json.dumps(finite_or_none(values), indent=2) + "\n").encode()

    data, reason = encode(values), values.get("reason")
    while len(data) > size and isinstance(reason, str) and reason:
        reason = reason[:max(len(reason) - (len(data) - size) - len("..."), 0)]
        data = encode({**values, "reason": reason + "..."})
    if len(data) > size:
        data = encode({"status": values["status"]})
    if len(data) > size:
        raise OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)} (and status.json is too short "
                      "to be rewritten in place)")
    return data


def _write_at_start(descriptor: int, data: bytes) -> None:
    """All of `data` at the start of the file: os.write may write less than it was given."""
    os.lseek(descriptor, 0, os.SEEK_SET)
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        if written == 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def new_run_id(config_json: str) -> str:
    """A sortable, readable id: time of creation plus a short hash of the config."""
    digest = hashlib.sha256(config_json.encode()).hexdigest()[:6]
    return time.strftime("%Y%m%d-%H%M%S") + f"-{digest}"


def check_run_id_free(out: str | Path, run_id: str | None) -> None:
    """Raise FileExistsError now (before a slow data load) if `run_id` is taken under `out`."""
    if run_id is not None and (Path(out) / run_id).exists():
        raise _taken(Path(out) / run_id)


def _taken(path: Path) -> FileExistsError:
    return FileExistsError(f"run directory {path} already exists: choose another --run-id, "
                           f"or continue it with --resume {path}")


def create_run_dir(out: str | Path, config_json: str, run_id: str | None = None) -> RunDir:
    """Make a fresh run directory under `out`; never reuse an existing one."""
    base = run_id or new_run_id(config_json)
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    candidate, suffix = root / base, 1
    while True:
        try:
            candidate.mkdir()
            return RunDir(candidate)
        except FileExistsError:
            if run_id is not None:
                raise _taken(candidate) from None
            suffix += 1
            candidate = root / f"{base}-{suffix}"


def is_run_dir(path: str | Path) -> bool:
    """Whether `path` is a run directory: a folder holding a config.json."""
    return RunDir(Path(path)).config.is_file()


def open_run_dir(path: str | Path) -> RunDir:
    """An existing run directory, checked to hold a config."""
    run = RunDir(Path(path))
    if not is_run_dir(run.path):
        raise FileNotFoundError(
            f"{run.path} is not a run directory (no config.json): pass a folder made by `npnn train`"
        )
    return run
