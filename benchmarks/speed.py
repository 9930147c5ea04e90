"""Training speed of npnn beside PyTorch, scikit-learn, a hand-written NumPy loop and the gemms alone.

    .venv/bin/python benchmarks/speed.py [--quick] [--threads 2] [--out benchmarks/results/latest.json]
    .venv/bin/python benchmarks/speed.py --models cnn     # the small CNN: training and inference rows

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
# the small CNN (workers/common.py cnn_layers): npnn and PyTorch only (the other workers are MLPs)
CNN = "cnn"
CNN_FRAMEWORKS = ("npnn", "torch")
CNN_BATCH_SIZES = (64, 128)
CNN_TRAIN_IMAGES = 6000  # a training epoch over the first 6,000 images keeps a CNN row to ~1 min


@dataclass(frozen=True)
class Config:
    model: str  # layer widths, "784-256-10", or "cnn"
    batch_size: int
    optimizer: str
    task: str = "train"  # or "infer": a forward pass over the test images, no gradients

    @property
    def name(self) -> str:
        if self.task == "infer":
            return f"{self.model} b{self.batch_size} inference"
        return f"{self.model} b{self.batch_size} {self.optimizer}"

    @property
    def hidden(self) -> list[int]:
        return [] if self.model == CNN else [int(width) for width in self.model.split("-")[1:-1]]

    @property
    def frameworks(self) -> tuple[str, ...]:
        """The frameworks that run this config: all for an MLP, npnn and PyTorch for the CNN."""
        return CNN_FRAMEWORKS if self.model == CNN else tuple(FRAMEWORKS)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: one config (784-256-10, batch 128, Adam) and 2 measured epochs")
    parser.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP threads of every worker")
    parser.add_argument("--epochs", type=int,
                        help="measured epochs per framework, taken in turns with the other frameworks "
                             "(default 10; 2 with --quick)")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured epochs first, in each worker")
    parser.add_argument("--models", nargs="+",
                        help=f"layer widths, or {CNN!r} for the small CNN (default {' '.join(MODELS)})")
    parser.add_argument("--batch-sizes", type=int, nargs="+",
                        help=f"default {BATCH_SIZES}, and {CNN_BATCH_SIZES} for the CNN")
    parser.add_argument("--optimizers", nargs="+", choices=OPTIMIZERS,
                        help="default: both, and adam alone for the CNN")
    parser.add_argument("--cnn-images", type=int, default=CNN_TRAIN_IMAGES,
                        help="the CNN's training epoch: the first N training images (default %(default)s)")
    parser.add_argument("--test-images", type=int, default=10_000,
                        help="the CNN's inference epoch: the first N test images (default all %(default)s)")
    parser.add_argument("--frameworks", nargs="+", choices=list(FRAMEWORKS), default=list(FRAMEWORKS))
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a worker is stopped")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON (default %(default)s)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.epochs = args.epochs if args.epochs is not None else (2 if quick else 10)
    args.models = args.models or ([MODELS[0]] if quick else list(MODELS))
    for model in args.models:
        if model == CNN:
            continue
        widths = model.split("-")
        if len(widths) < 3 or widths[0] != "784" or widths[-1] != "10" or not all(map(str.isdigit, widths)):
            parser.error(f"--models: {model!r} is not like 784-256-10 (784 inputs, hidden sizes, 10 classes) "
                         f"nor {CNN!r}")
    if min(args.threads, args.epochs, args.cnn_images, args.test_images) < 1 or args.warmup < 0:
        parser.error("--threads, --epochs, --cnn-images and --test-images must be >= 1, --warmup >= 0")
    return args


def configs_of(args: argparse.Namespace) -> list[Config]:
    """The grid: per model, its batch sizes and optimizers (given, or the model's defaults); the
    CNN also gets one inference row per batch size."""
    configs = []
    for model in args.models:
        cnn = model == CNN
        defaults = CNN_BATCH_SIZES if cnn else BATCH_SIZES
        batch_sizes = args.batch_sizes or ([128] if args.quick else list(defaults))
        optimizers = args.optimizers or (["adam"] if args.quick or cnn else list(OPTIMIZERS))
        for batch_size in batch_sizes:
            configs += [Config(model, batch_size, optimizer) for optimizer in optimizers]
            if cnn:
                configs.append(Config(model, batch_size, "adam", task="infer"))
    return configs


@dataclass(frozen=True)
class Data:
    """The training split saved once, so that every worker reads the very same arrays."""

    images: Path
    labels: Path
    count: int
    test_images: Path  # the 10,000 test images, for the inference rows
    test_labels: Path
    test_count: int = 10_000


def save_data(folder: Path, timeout: float) -> Data:
    """The 48,000 standardized Fashion-MNIST training images (float32) and labels (int64),
    and the test split, written by a child so that this process stays small (see
    workers/prepare_data.py)."""
    child = run_child([sys.executable, str(WORKERS / "prepare_data.py"), str(folder)], thread_env(1), timeout)
    if child.returncode != 0:
        raise SystemExit(f"could not prepare the data: {child.reason()}; `npnn data` says where it looks")
    return Data(folder / "images.npy", folder / "labels.npy", int(child.stdout.split()[-1]),
                folder / "test-images.npy", folder / "test-labels.npy")


def images_of(config: Config, data: Data, args: argparse.Namespace) -> int:
    """How many images one epoch of `config` goes through."""
    if config.task == "infer":
        return min(args.test_images, data.test_count)
    return min(args.cnn_images, data.count) if config.model == CNN else data.count


def start_worker(framework: str, config: Config, data: Data, args: argparse.Namespace,
                 result: Path) -> LockstepWorker | str:
    """A worker that has done its warm-up and waits for its epochs, or why there is none."""
    script, module = FRAMEWORKS[framework]
    if module is not None and importlib.util.find_spec(module) is None:
        return "not installed"
    infer = config.task == "infer"
    images, labels = (data.test_images, data.test_labels) if infer else (data.images, data.labels)
    argv = [sys.executable, str(WORKERS / script), "--images", str(images), "--labels", str(labels),
            "--result", str(result), "--batch-size", str(config.batch_size), "--optimizer", config.optimizer,
            "--lr", str(LEARNING_RATES[config.optimizer]), "--momentum", str(MOMENTUM),
            "--warmup", str(args.warmup), "--threads", str(args.threads), "--task", config.task]
    if config.model == CNN:
        argv += ["--model", CNN, "--limit", str(args.test_images if infer else args.cnn_images)]
    else:
        argv += ["--hidden", *map(str, config.hidden)]
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
    frameworks = [name for name in args.frameworks if name in config.frameworks]
    images = images_of(config, data, args)
    rows = {name: {"config": config.name, **asdict(config), "framework": name, "images": images,
                   "lr": LEARNING_RATES[config.optimizer]} for name in frameworks}
    results = {name: folder / f"result-{name}.json" for name in frameworks}
    workers: dict[str, LockstepWorker] = {}
    try:
        for name in frameworks:
            worker = start_worker(name, config, data, args, results[name])
            if isinstance(worker, str):
                rows[name]["status"] = worker
            else:
                workers[name] = worker
        epochs = run_in_turns(workers, args.epochs)
        for name, worker in workers.items():
            rows[name].update(finish_worker(worker, epochs[name], results[name], images))
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
    configs = configs_of(args)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="npnn-bench-") as folder:
        data = save_data(Path(folder), args.timeout)
        if CNN in args.models:
            print(f"cnn rows: a training epoch is the first {min(args.cnn_images, data.count):,} of the "
                  f"{data.count:,} training images; an inference epoch the first "
                  f"{min(args.test_images, data.test_count):,} of the {data.test_count:,} test images "
                  "(npnn and PyTorch only)", flush=True)
        for done, config in enumerate(configs, 1):
            measured = measure_config(config, data, args, Path(folder))
            rows += measured
            shown = ", ".join(f"{row['framework']} {row['median_s']:.3f}" if row["status"] == "ok"
                              else f"{row['framework']} {row['status']}" for row in measured)
            print(f"[{done}/{len(configs)}] {config.name:<24} s/epoch: {shown}", flush=True)
    # imported only now: it imports NumPy, and the workers ran beside a small parent
    from machine import machine_line, machine_record

    from npnn.serialization import finite_or_none

    summary = summarize(rows)
    machine = machine_record(args.threads)
    print()
    print(machine_line(machine))
    print(tables(rows, summary))
    record = {"benchmark": "speed", "machine": machine,
              "settings": {"threads": args.threads, "epochs": args.epochs, "in_turns": True,
                           "warmup": args.warmup,
                           "images": data.count, "learning_rates": LEARNING_RATES, "momentum": MOMENTUM,
                           "cnn_train_images": min(args.cnn_images, data.count) if CNN in args.models
                           else None,
                           "test_images": min(args.test_images, data.test_count) if CNN in args.models
                           else None},
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
