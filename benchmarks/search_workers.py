"""Search trials per hour with 1, 2 and 3 workers sharing one PostgreSQL study.

Each worker is its own `npnn search` process with its own --out folder, started at the same
moment against the same --storage and --study, as workers on separate machines would be; here
they share this machine's cores (each gets cores // workers BLAS threads), so the figures show
what the shared storage costs, not what more machines would add. The trials are those of
workflow.py: one epoch of 784-128-10 at batch 16 on the full training split.

By default a throw-away PostgreSQL server is started for the run (Debian's postgresql, which
scripts/get-postgres installs, and the psycopg driver of the `test` extra) and stopped after;
`--storage URL` uses a server of yours instead (each worker count gets its own study).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
from machine import machine_line, machine_record
from workflow_runs import SEARCH_SPACE, npnn_command

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
LEARNING_RATES = [0.0005, 0.001, 0.0015, 0.002, 0.0025, 0.003, 0.0035, 0.004, 0.0045, 0.005, 0.0055, 0.006]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--trials", type=int, default=12, help="grid points per worker count")
    parser.add_argument("--storage", help="a PostgreSQL URL of yours (default: a throw-away server)")
    parser.add_argument("--out", type=Path, default=RESULTS / "search-workers-latest.json")
    args = parser.parse_args(argv)
    cores = len(os.sched_getaffinity(0))
    rows = []
    with tempfile.TemporaryDirectory(prefix="npnn-search-workers-") as scratch, _server(args.storage) as url:
        space = Path(scratch) / "space.toml"
        space.write_text(SEARCH_SPACE.format(choices=LEARNING_RATES[: args.trials]))
        for workers in args.workers:
            row = _measure(url, space, Path(scratch), workers, max(1, cores // workers))
            rows.append(row)
            print(f"{workers} worker(s): {row['complete']}/{args.trials} trials in {row['seconds']:.1f} s, "
                  f"{row['trials_per_hour']} trials/hour, {row['trials_total']} trials in the study",
                  flush=True)
    machine = machine_record(max(1, cores // max(args.workers)))
    print(machine_line(machine))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    record = {"benchmark": "search_workers", "machine": machine, "rows": rows}
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"results: {args.out}")
    return 0 if all(row["status"] == "ok" for row in rows) else 1


def _measure(url: str, space: Path, scratch: Path, workers: int, threads: int) -> dict[str, Any]:
    """Start `workers` searches on one new study at once; wall time until the last one exits."""
    study = f"bench-{workers}-workers-{int(time.time())}"
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads)}
    started = time.perf_counter()
    children = [subprocess.Popen([*npnn_command(), "search", "--space", str(space), "--storage", url,
                                  "--study", study, "--out", str(scratch / f"{study}-{i}")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
                for i in range(workers)]
    errors = [child.communicate()[1] for child in children]
    seconds = time.perf_counter() - started
    trials = optuna.load_study(study_name=study, storage=url).get_trials(deepcopy=False)
    complete = sum(t.state.name == "COMPLETE" for t in trials)
    failed = [error.strip().splitlines()[-1] for child, error in zip(children, errors, strict=True)
              if child.returncode != 0 and error.strip()]
    return {"workers": workers, "threads_each": threads, "seconds": round(seconds, 2), "complete": complete,
            "trials_total": len(trials), "trials_per_hour": round(complete / seconds * 3600),
            "status": "ok" if not failed else f"failed: {failed[0]}"}


@contextlib.contextmanager
def _server(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    sys.path.insert(0, str(REPO / "tests" / "search"))
    from postgres_server import database, server  # the tests' throw-away server

    with server() as root, database(root) as fresh:
        yield fresh


if __name__ == "__main__":
    sys.exit(main())
