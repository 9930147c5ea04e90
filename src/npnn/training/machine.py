"""A description of the machine a run trained on, so a report can say where its times came from."""

from __future__ import annotations

import os
import platform
from typing import Any

import numpy as np
from threadpoolctl import threadpool_info


def machine_info() -> dict[str, Any]:
    """CPU, core count, OS, Python and NumPy versions, NumPy's BLAS (library, version and the
    kernel it picked for this CPU) and the BLAS threads NumPy may use."""
    return {
        "processor": _cpu_name() or platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        **blas_info(),
        "blas_threads": _blas_threads(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def blas_info() -> dict[str, str | None]:
    """The BLAS NumPy loaded, as threadpoolctl reads it from the library itself: "blas" (library
    and version, e.g. 'openblas 0.3.31'), "blas_kernel" (the code path it chose for this CPU: the
    same NumPy runs AVX-512 kernels on a recent Xeon and AVX2 'Haswell' ones on an AMD EPYC)."""
    for library in threadpool_info():
        if library.get("user_api") == "blas":
            return {"blas": f"{library.get('internal_api')} {library.get('version')}",
                    "blas_kernel": library.get("architecture")}
    return {"blas": None, "blas_kernel": None}


def blas_text(machine: dict[str, Any]) -> str:
    """'openblas 0.3.31 (Haswell kernels)' from a machine record, or '' where it has none."""
    if not machine.get("blas"):
        return ""
    kernel = f" ({machine['blas_kernel']} kernels)" if machine.get("blas_kernel") else ""
    return f"{machine['blas']}{kernel}"


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
