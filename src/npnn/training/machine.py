"""A description of the machine a run trained on, so a report can say where its times came from."""

from __future__ import annotations

import os
import platform
from typing import Any

import numpy as np


def machine_info() -> dict[str, Any]:
    """CPU, core count, OS, Python and NumPy versions, and the BLAS threads NumPy may use."""
    return {
        "processor": _cpu_name() or platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "blas_threads": _blas_threads(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def _cpu_name() -> str | None:
    """The model name Linux reports in /proc/cpuinfo (None elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _blas_threads() -> int | None:
    """The thread cap set by the usual environment variables (None: the BLAS default)."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return None
