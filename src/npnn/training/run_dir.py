"""The run directory: one folder per run, with fixed file names."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from npnn.serialization import atomic_write_json, read_json


@dataclass(frozen=True)
class RunDir:
    """Paths inside `runs/<run_id>/`."""

    path: Path

    @property
    def config(self) -> Path:
        return self.path / "config.json"

    @property
    def history(self) -> Path:
        return self.path / "history.json"

    @property
    def log(self) -> Path:
        return self.path / "train.log"

    @property
    def best(self) -> Path:
        return self.path / "best.safetensors"

    @property
    def last(self) -> Path:
        return self.path / "last.safetensors"

    @property
    def status(self) -> Path:
        return self.path / "status.json"

    @property
    def test(self) -> Path:
        return self.path / "test.json"

    @property
    def name(self) -> str:
        return self.path.name

    def write_status(self, status: str, **details: Any) -> None:
        atomic_write_json(self.status, {"status": status, **details})

    def read_status(self) -> dict[str, Any]:
        return read_json(self.status) if self.status.exists() else {"status": "unknown"}


def new_run_id(config_json: str) -> str:
    """A sortable, readable id: time of creation plus a short hash of the config."""
    digest = hashlib.sha256(config_json.encode()).hexdigest()[:6]
    return time.strftime("%Y%m%d-%H%M%S") + f"-{digest}"


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
                raise FileExistsError(
                    f"run directory {candidate} already exists: choose another --run-id, "
                    f"or continue it with --resume {candidate}"
                ) from None
            suffix += 1
            candidate = root / f"{base}-{suffix}"


def open_run_dir(path: str | Path) -> RunDir:
    """An existing run directory, checked to hold a config."""
    run = RunDir(Path(path))
    if not run.config.is_file():
        raise FileNotFoundError(
            f"{run.path} is not a run directory (no config.json): pass a folder made by `npnn train`"
        )
    return run
