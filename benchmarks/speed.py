"""Training speed of npnn beside PyTorch, scikit-learn, a hand-written NumPy loop and the gemms alone.

    .venv/bin/python benchmarks/speed.py [--quick] [--threads 2] [--out benchmarks/results/latest.json]

Every (framework, config) pair trains in a process of its own, with the same BLAS thread count
and the same Fashion-MNIST arrays (saved once to a temporary .npy), so the rows are comparable;
see benchmarks/README.md for what each column means.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import statistics
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

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
    parser.add_argument("--epochs", type=int, help="measured epochs per round (default 2)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds per config, frameworks alternating order; ratios are taken within "
                             "each round, so that a slow spell of the machine hits both sides (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured epochs first")
    parser.add_argument("--models", nargs="+", help=f"layer widths (default {' '.join(MODELS)})")
    parser.add_argument("--batch-sizes", type=int, nargs="+", help=f"default {BATCH_SIZES}")
    parser.add_argument("--optimizers", nargs="+", choices=OPTIMIZERS, help="default: both")
    parser.add_argument("--frameworks", nargs="+", choices=list(FRAMEWORKS), default=list(FRAMEWORKS))
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a worker is stopped")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON (default %(default)s)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.epochs = args.epochs if args.epochs is not None else 2
    args.rounds = 1 if quick else args.rounds
    args.models = args.models or ([MODELS[0]] if quick else list(MODELS))
    args.batch_sizes = args.batch_sizes or ([128] if quick else list(BATCH_SIZES))
    args.optimizers = args.optimizers or (["adam"] if quick else list(OPTIMIZERS))
    for model in args.models:
        widths = model.split("-")
        if len(widths) < 3 or widths[0] != "784" or widths[-1] != "10" or not all(map(str.isdigit, widths)):
            parser.error(f"--models: {model!r} is not like 784-256-10 (784 inputs, hidden sizes, 10 classes)")
    if args.threads < 1 or args.epochs < 1 or args.rounds < 1 or args.warmup < 0:
        parser.error("--threads, --epochs and --rounds must be >= 1, --warmup >= 0")
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


def run_worker(framework: str, config: Config, data: Data, args: argparse.Namespace,
               result: Path) -> dict[str, Any]:
    """One row: the worker's measurements, or a status saying why there are none."""
    script, module = FRAMEWORKS[framework]
    row: dict[str, Any] = {"config": config.name, **asdict(config), "framework": framework,
                           "lr": LEARNING_RATES[config.optimizer]}
    if module is not None and importlib.util.find_spec(module) is None:
        return {**row, "status": "not installed"}
    argv = [sys.executable, str(WORKERS / script), "--images", str(data.images), "--labels", str(data.labels),
            "--result", str(result), "--hidden", *map(str, config.hidden),
            "--batch-size", str(config.batch_size), "--optimizer", config.optimizer, "--lr", str(row["lr"]),
            "--momentum", str(MOMENTUM), "--epochs", str(args.epochs), "--warmup", str(args.warmup),
            "--threads", str(args.threads)]
    result.unlink(missing_ok=True)
    child = run_child(argv, thread_env(args.threads), args.timeout)
    if child.returncode != 0 or not result.exists():
        return {**row, "status": f"failed: {child.reason()}"}
    measured = json.loads(result.read_text())
    return {**row, "status": "ok", **measured, "images_per_s": data.count / measured["median_s"],
            "process_seconds": round(child.seconds, 2), "others_cpu": child.others_cpu}


def merge_rounds(rounds: list[dict[str, Any]], images: int) -> dict[str, Any]:
    """One row per (config, framework): the epochs of every round pooled, and each round's median
    (the ratios pair rounds: see speed_report.summarize)."""
    failed = [row for row in rounds if row["status"] != "ok"]
    if failed:
        return failed[0]
    epochs = [t for row in rounds for t in row["epoch_seconds"]]
    median = statistics.median(epochs)
    return {**rounds[-1], "epoch_seconds": epochs, "median_s": median, "min_s": min(epochs),
            "round_medians": [statistics.median(row["epoch_seconds"]) for row in rounds],
            "images_per_s": images / median, "rounds": len(rounds),
            "peak_rss_mib": max(row["peak_rss_mib"] for row in rounds),
            "process_seconds": round(sum(row["process_seconds"] for row in rounds), 2),
            "others_cpu": max((row["others_cpu"] or 0.0) for row in rounds)}


def to_json(value: Any) -> Any:
    """Strict JSON: nan and inf become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configs = [Config(m, b, o) for m in args.models for b in args.batch_sizes for o in args.optimizers]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="npnn-bench-") as folder:
        data = save_data(Path(folder), args.timeout)
        total = len(configs) * len(args.frameworks) * args.rounds
        done = 0
        for config in configs:
            measured: dict[str, list[dict[str, Any]]] = {name: [] for name in args.frameworks}
            for round_ in range(args.rounds):  # side by side, each round in another order
                shift = round_ % len(args.frameworks)
                order = args.frameworks[shift:] + args.frameworks[:shift]
                order = order if round_ % 2 == 0 else order[::-1]
                for framework in order:
                    row = run_worker(framework, config, data, args, Path(folder) / "result.json")
                    measured[framework].append(row)
                    done += 1
                    shown = f"{row['median_s']:.3f} s/epoch" if row["status"] == "ok" else row["status"]
                    print(f"[{done}/{total}] {config.name:<24} {framework:<8} {shown}", flush=True)
            rows += [merge_rounds(measured[name], data.count) for name in args.frameworks]
    # imported only now: it imports NumPy, and the workers ran beside a small parent
    from machine import machine_record

    summary = summarize(rows)
    print()
    print(tables(rows, summary))
    record = {"benchmark": "speed", "machine": machine_record(args.threads),
              "settings": {"threads": args.threads, "epochs": args.epochs, "rounds": args.rounds,
                           "warmup": args.warmup,
                           "images": data.count, "learning_rates": LEARNING_RATES, "momentum": MOMENTUM},
              "summary": summary, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(to_json(record), indent=1, allow_nan=False) + "\n")
    print(f"\nresults: {args.out}")
    warning = busy_warning([row for row in rows if row["status"] == "ok"])
    if warning:
        print(warning)
    return 0 if all(row["status"] in ("ok", "not installed") for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
