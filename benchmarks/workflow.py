"""The workflow as a user meets it: `npnn train` end to end, search trials per hour, peak memory.

    .venv/bin/python benchmarks/workflow.py [--quick] [--threads 2] [--out FILE.json]

Every measurement is the real `npnn` command in a child process; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from runner import busy_warning
from table import format_table, number, percent
from workflow_runs import Settings, memory_rows, search_throughput, train_end_to_end

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "workflow-latest.json"
QUICK_SUBSET = ("--train-subset", "6000")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1-epoch train on 6,000 images, 2-trial searches, two memory rows")
    parser.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP threads (--jobs 2 sets its own)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a command is stopped")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON (default %(default)s)")
    return parser.parse_args(argv)


def measure(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    """All three parts, in order; each prints a line as it finishes."""
    quick = args.quick
    settings = Settings(args.threads, args.timeout, scratch, QUICK_SUBSET if quick else ())
    train = train_end_to_end(settings, epochs=1 if quick else None)
    print(f"npnn train: {train['status']}, {train['seconds']:.1f} s", flush=True)
    searches = []
    for jobs in (1, 2):
        search = search_throughput(settings, trials=2 if quick else 6, jobs=jobs)
        searches.append(search)
        print(f"npnn search --jobs {jobs}: {search['status']}, {search['seconds']:.1f} s", flush=True)
    memory_settings = Settings(args.threads, args.timeout, scratch)  # the full data, as users train
    memory = memory_rows(memory_settings, [128] if quick else [32, 128, 512, 2048],
                         [256] if quick else [256, 1024, 4096])
    return {"train": train, "search": searches, "memory": memory}


def tables(results: dict[str, Any]) -> str:
    train = results["train"]
    rows = [[train["command"], train["status"], number(train["seconds"], 1),
             number(train["training_seconds"], 1),
             "-" if train["test_accuracy"] is None else f"{train['test_accuracy']:.2%}",
             f"{train['peak_rss_mib']:.0f}", percent(train["others_cpu"])]]
    runs = format_table(["command", "status", "wall s", "training s", "test accuracy", "peak RSS MiB",
                         "busy elsewhere"], rows, left=2)
    rows = [[s["command"], s["status"], str(s["trials"]), number(s["seconds"], 1),
             "-" if s["trials_per_hour"] is None else str(s["trials_per_hour"]), percent(s["others_cpu"])]
            for s in results["search"]]
    search = format_table(["command", "status", "trials", "wall s", "trials/hour", "busy elsewhere"], rows,
                          left=2)
    rows = [[m["label"], m["status"], f"{m['peak_rss_mib']:.0f}", number(m["seconds"], 1),
             percent(m["others_cpu"])] for m in results["memory"]]
    headers = ["npnn train --epochs 1 (full data, with its test)", "status", "peak RSS MiB", "wall s",
               "busy elsewhere"]
    memory = format_table(headers, rows, left=2)
    return f"{runs}\n\n{search}\n\n{memory}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="npnn-workflow-") as scratch:
        results = measure(args, Path(scratch))
    # imported only now: it imports NumPy, and the children ran beside a small parent
    from machine import machine_record

    print()
    print(tables(results))
    record = {"benchmark": "workflow", "machine": machine_record(args.threads), "quick": args.quick,
              **results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1, allow_nan=False) + "\n")
    print(f"\nresults: {args.out}")
    warning = busy_warning([results["train"], *results["search"]])  # memory does not depend on it
    if warning:
        print(warning)
    statuses = [results["train"]["status"], *(r["status"] for r in results["search"] + results["memory"])]
    return 0 if all(status == "ok" for status in statuses) else 1


if __name__ == "__main__":
    sys.exit(main())
