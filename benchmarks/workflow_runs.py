"""The workflow measurements: `npnn train` end to end, search throughput, and peak memory.

Each runs the real `npnn` command in a child process, as a user would, and reads its wall
time and peak resident memory from os.wait4 (see runner.py).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner import Finished, run_child, thread_env

SEARCH_SPACE = """\
description = "benchmarks/workflow.py: one-epoch trials of 784-128-10 at batch 16 (original-2's shape)"
sampler = "grid"
[fixed]
hidden = [128]
batch_size = 16
epochs = 1
[params.lr]
choices = {choices}
"""
LEARNING_RATES = [0.0005, 0.001, 0.002, 0.003, 0.004, 0.006]  # trials long enough that workers pay
DATA_ONLY = ("import npnn.data as d; d.load_fashion_mnist('train', standardize=True); "
             "d.load_fashion_mnist('val', standardize=True)")


@dataclass(frozen=True)
class Settings:
    threads: int
    timeout: float
    scratch: Path  # a temporary folder for run and search directories
    extra: tuple[str, ...] = ()  # flags added to every `npnn train`/`npnn search`, e.g. --train-subset


def npnn_command() -> list[str]:
    """The `npnn` console script next to this interpreter, else `python -m npnn`."""
    script = Path(sys.executable).parent / "npnn"
    return [str(script)] if script.exists() else [sys.executable, "-m", "npnn"]


def _npnn(settings: Settings, *args: str) -> tuple[str, Finished]:
    """Run `npnn ARGS`; also returns the command as shown, with the scratch folder written TMP."""
    args = (*args, *settings.extra)
    child = run_child([*npnn_command(), *args], thread_env(settings.threads), settings.timeout)
    return "npnn " + " ".join(args).replace(str(settings.scratch), "TMP"), child


def _outcome(child: Finished) -> dict[str, Any]:
    """Wall time and peak memory of a child, or why it failed."""
    return {"seconds": round(child.seconds, 2), "peak_rss_mib": round(child.peak_rss_mib, 1),
            "others_cpu": child.others_cpu,
            "status": "ok" if child.returncode == 0 else f"failed: {child.reason()}"}


def train_end_to_end(settings: Settings, epochs: int | None) -> dict[str, Any]:
    """One default `npnn train` (data load, training, checkpoints, test), timed from outside."""
    args = ["train", "--out", str(settings.scratch / "train")]
    if epochs is not None:
        args += ["--epochs", str(epochs)]
    command, child = _npnn(settings, *args)
    record = {"command": command, **_outcome(child)}
    training = re.search(r"^finished: \d+ steps in ([\d.]+)s", child.stdout, re.MULTILINE)
    accuracy = re.search(r"^test accuracy: ([\d.]+)%", child.stdout, re.MULTILINE)
    record["training_seconds"] = float(training.group(1)) if training else None
    record["test_accuracy"] = float(accuracy.group(1)) / 100 if accuracy else None
    return record


def search_throughput(settings: Settings, trials: int, jobs: int) -> dict[str, Any]:
    """Trials per hour of a small grid search with `jobs` parallel workers.

    With --jobs 1 the search uses `settings.threads` BLAS threads; with more, npnn itself
    gives each worker cores // jobs threads and overrides ours.
    """
    space = settings.scratch / "space.toml"
    space.write_text(SEARCH_SPACE.format(choices=LEARNING_RATES[:trials]))
    out = settings.scratch / f"search-jobs{jobs}"
    args = ["search", "--space", str(space), "--out", str(out), "--jobs", str(jobs)]
    command, child = _npnn(settings, *args)
    record = {"command": command, "trials": trials, "jobs": jobs, **_outcome(child)}
    record["trials_per_hour"] = round(trials / child.seconds * 3600) if child.returncode == 0 else None
    return record


def memory_rows(settings: Settings, batch_sizes: list[int], widths: list[int]) -> list[dict[str, Any]]:
    """Peak RSS of `npnn train --epochs 1`: the data alone, then by batch size, then by width."""
    rows = [{"label": "data only (train + val loaded)", "batch_size": None, "hidden": None,
             **_outcome(run_child([sys.executable, "-c", DATA_ONLY], thread_env(settings.threads),
                                  settings.timeout))}]
    cases = [(f"batch {b}, default 784-512-256-10", b, None) for b in batch_sizes]
    cases += [(f"hidden {w}, batch 128", 128, w) for w in widths]
    for label, batch_size, width in cases:
        args = ["train", "--epochs", "1", "--batch-size", str(batch_size)]
        args += ["--hidden", str(width)] if width is not None else []
        args += ["--out", str(settings.scratch / "memory")]
        command, child = _npnn(settings, *args)
        rows.append({"label": label, "command": command, "batch_size": batch_size, "hidden": width,
                     **_outcome(child)})
    return rows
