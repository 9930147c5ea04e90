"""Where and with what a benchmark ran, stored with its results so runs can be compared over time."""

from __future__ import annotations

import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from npnn.training.machine import blas_text, machine_info

REPO = Path(__file__).resolve().parent.parent


def machine_record(threads: int) -> dict[str, Any]:
    """CPU model, cores, OS, package versions, NumPy's BLAS, the thread count used, date and commit."""
    info = machine_info()
    info.pop("blas_threads", None)  # this process's setting, not the children's: `threads` is
    info.update({
        "threads": threads,
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "versions": {name: _version(name) for name in ("npnn", "numpy", "torch", "scikit-learn")},
        "numpy_blas": _numpy_blas(),
        "commit": _commit(),
    })
    return info


def machine_line(record: dict[str, Any]) -> str:
    """'AMD EPYC, openblas 0.3.31 (Haswell kernels), 2 threads': what every figure depends on."""
    blas = blas_text(record) or record.get("numpy_blas") or "BLAS unknown"
    return f"{record['processor']}, {blas}, {record['threads']} threads"


def _version(distribution: str) -> str | None:
    """The installed version, read from package metadata (importing torch here would cost seconds)."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _numpy_blas() -> str | None:
    """Name and version of the BLAS NumPy was built against, e.g. 'scipy-openblas 0.3.29'."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (TypeError, KeyError):  # NumPy < 1.26 has no dict mode
        return None
    return f"{blas.get('name')} {blas.get('version')}".strip()


def _commit() -> str | None:
    """The checked-out commit, read from .git without running git (None outside a checkout)."""
    git = REPO / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        if (git / ref).exists():
            return (git / ref).read_text().strip()
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0]
    except OSError:
        return None
    return None
