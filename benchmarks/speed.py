"""Training speed of npnn beside PyTorch, scikit-learn, a hand-written NumPy loop and the gemms alone.

    .venv/bin/python benchmarks/speed.py [--quick] [--threads 2] [--out benchmarks/results/latest.json]

Every (framework, config) pair trains in a process of its own, with the same BLAS thread count
and the same Fashion-MNIST arrays (saved once to a temporary .npy); the frameworks of a config
train their epochs in turns (lockstep.py), so the rows are comparable. benchmarks/README.md says
what each column means.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lockstep import LockstepWorker, WorkerError, run_in_turns
from runner import busy_warning, run_child, thread_env
from speed_report import summarize, tables

WORKERS = Path(__file__).resolve().parent / "workers"
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"

# name -> (worker script, module that must be importable for it to run)
FRAMEWORKS: dict[str, tuple[str, str | None]] = {
    "npnn": ("npnn_mlp.py", "npnn"),
    "torch": ("torch_mlp.py", "torch"),
    "sklearn": ("sklearn_mlp.py", "sklearn"),
    "numpy": ("numpy_mlp.py", None),
    "gemm": ("gemm_only.py", None),
}
LEARNING_RATES = {"adam": 1e-3, "sgd": 0.01}
MOMENTUM = 0.9
MODELS = ("784-256-10", "784-512-256-10")
BATCH_SIZES = (32, 128, 512)
OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class Config:
    model: str  # layer widths, "784-256-10"
    batch_size: int
    optimizer: str

    @property
    def name(self) -> str:
        return f"{self.model} b{self.batch_size} {self.optimizer}"

    @property
    def hidden(self) -> list[int]:
        return [int(width) for width in self.model.split("-")[1:-1]]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: one config (784-256-10, batch 128, Adam) and 2 measured epochs")
    parser.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP threads of every worker")
    parser.add_argument("--epochs", type=int,
                        help="measured epochs per framework, taken in turns with the other frameworks "
                             "(default 10; 2 with --quick)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured epochs first, in each worker")
    parser.add_argument("--models", nargs="+", help=f"layer widths (default {' '.join(MODELS)})")
    parser.add_argument("--batch-sizes", type=int, nargs="+", help=f"default {BATCH_SIZES}")
    parser.add_argument("--optimizers", nargs="+", choices=OPTIMIZERS, help="default: both")
    parser.add_argument("--frameworks", nargs="+", choices=list(FRAMEWORKS), default=list(FRAMEWORKS))
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a worker is stopped")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON (default %(default)s)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.epochs = args.epochs if args.epochs is not None else (2 if quick else 10)
    args.models = args.models or ([MODELS[0]] if quick else list(MODELS))
    args.batch_sizes = args.batch_sizes or ([128] if quick else list(BATCH_SIZES))
    args.optimizers = args.optimizers or (["adam"] if quick else list(OPTIMIZERS))
    for model in args.models:
        widths = model.split("-")
        if len(widths) < 3 or widths[0] != "784" or widths[-1] != "10" or not all(map(str.isdigit, widths)):
            parser.error(f"--models: {model!r} is not like 784-256-10 (784 inputs, hidden sizes, 10 classes)")
    if args.threads < 1 or args.epochs < 1 or args.warmup < 0:
        parser.error("--threads and --epochs must be >= 1, --warmup >= 0")
    return args


@dataclass(frozen=True)
class Data:
    """The training split saved once, so that every worker reads the very same arrays."""

    images: Path
    labels: Path
    count: int


def save_data(folder: Path, timeout: float) -> Data:
    """The 48,000 standardized Fashion-MNIST training images (float32) and labels (int64),
    written by a child so that this process stays small (see workers/prepare_data.py)."""
    child = run_child([sys.executable, str(WORKERS / "prepare_data.py"), str(folder)], thread_env(1), timeout)
    if child.returncode != 0:
        raise SystemExit(f"could not prepare the data: {child.reason()}; `npnn data` says where it looks")
    return Data(folder / "images.npy", folder / "labels.npy", int(child.stdout.split()[-1]))


def start_worker(framework: str, config: Config, data: Data, args: argparse.Namespace,
                 result: Path) -> LockstepWorker | str:
    """A worker that has done its warm-up and waits for its epochs, or why there is none."""
    script, module = FRAMEWORKS[framework]
    if module is not None and importlib.util.find_spec(module) is None:
        return "not installed"
    argv = [sys.executable, str(WORKERS / script), "--images", str(data.images), "--labels", str(data.labels),
            "--result", str(result), "--hidden", *map(str, config.hidden),
            "--batch-size", str(config.batch_size), "--optimizer", config.optimizer,
            "--lr", str(LEARNING_RATES[config.optimizer]), "--momentum", str(MOMENTUM),
            "--warmup", str(args.warmup), "--threads", str(args.threads)]
    result.unlink(missing_ok=True)
    worker = LockstepWorker(argv, thread_env(args.threads), args.timeout)
    try:
        worker.wait_ready()
    except WorkerError as failure:
        worker.kill()
        return f"failed: {failure}"
    return worker


def measure_config(config: Config, data: Data, args: argparse.Namespace,
                   folder: Path) -> list[dict[str, Any]]:
    """One row per framework: every framework's worker started and warmed up one after another,
    then `args.epochs` epochs of each, in turns."""
    rows = {name: {"config": config.name, **asdict(config), "framework": name,
                   "lr": LEARNING_RATES[config.optimizer]} for name in args.frameworks}
    results = {name: folder / f"result-{name}.json" for name in args.frameworks}
    workers: dict[str, LockstepWorker] = {}
    try:
        for name in args.frameworks:
            worker = start_worker(name, config, data, args, results[name])
            if isinstance(worker, str):
                rows[name]["status"] = worker
            else:
                workers[name] = worker
        epochs = run_in_turns(workers, args.epochs)
        for name, worker in workers.items():
            rows[name].update(finish_worker(worker, epochs[name], results[name], data.count))
    finally:
        for worker in workers.values():
            if worker.process.poll() is None:
                worker.kill()
    return list(rows.values())


def finish_worker(worker: LockstepWorker, epochs: list[dict[str, Any]], result: Path,
                  images: int) -> dict[str, Any]:
    """The row's measurements from the worker's result file, or a status saying why there are none."""
    if epochs and "failed" in epochs[-1]:  # run_in_turns stopped giving it turns
        worker.kill()
        return {"status": f"failed: {epochs[-1]['failed']}"}
    try:
        process_seconds = worker.stop()
        measured = json.loads(result.read_text())
    except (WorkerError, OSError, ValueError) as failure:
        worker.kill()
        return {"status": f"failed: {failure}"}
    known = [epoch for epoch in epochs if epoch["others_cpu"] is not None]
    # the share over the measured epochs, weighted by their length
    others = (sum(epoch["others_cpu"] * epoch["seconds"] for epoch in known)
              / sum(epoch["seconds"] for epoch in known)) if known else None
    return {"status": "ok", **measured, "images_per_s": images / measured["median_s"],
            "process_seconds": round(process_seconds, 2), "others_cpu": others}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configs = [Config(m, b, o) for m in args.models for b in args.batch_sizes for o in args.optimizers]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="npnn-bench-") as folder:
        data = save_data(Path(folder), args.timeout)
        for done, config in enumerate(configs, 1):
            measured = measure_config(config, data, args, Path(folder))
            rows += measured
            shown = ", ".join(f"{row['framework']} {row['median_s']:.3f}" if row["status"] == "ok"
                              else f"{row['framework']} {row['status']}" for row in measured)
            print(f"[{done}/{len(configs)}] {config.name:<24} s/epoch: {shown}", flush=True)
    # imported only now: it imports NumPy, and the workers ran beside a small parent
    from machine import machine_record

    from npnn.serialization import finite_or_none

    summary = summarize(rows)
    print()
    print(tables(rows, summary))
    record = {"benchmark": "speed", "machine": machine_record(args.threads),
              "settings": {"threads": args.threads, "epochs": args.epochs, "in_turns": True,
                           "warmup": args.warmup,
                           "images": data.count, "learning_rates": LEARNING_RATES, "momentum": MOMENTUM},
              "summary": summary, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(finite_or_none(record), indent=1, allow_nan=False) + "\n")
    print(f"\nresults: {args.out}")
    warning = busy_warning([row for row in rows if row["status"] == "ok"])
    if warning:
        print(warning)
    return 0 if all(row["status"] in ("ok", "not installed") for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
