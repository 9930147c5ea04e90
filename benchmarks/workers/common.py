"""What every speed worker shares: its command line, the data, the epoch clock and the result file.

Each worker is one process that trains one (framework, config) pair and writes its timings as
JSON to `--result`; `benchmarks/speed.py` starts it with the BLAS thread variables already
set, so nothing here may touch threads before the framework is imported. After its warm-up
it trains one epoch each time the orchestrator says so (see benchmarks/lockstep.py).
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Spec:
    """One benchmark configuration, as the orchestrator passes it on the command line."""

    images: Path
    labels: Path
    result: Path  # where the JSON result goes
    hidden: tuple[int, ...]  # the MLP's hidden widths; empty for the CNN
    batch_size: int
    optimizer: str  # "adam" or "sgd"
    lr: float
    momentum: float
    warmup: int
    threads: int
    seed: int
    model: str = "mlp"  # or "cnn" (cnn_layers)
    task: str = "train"  # or "infer": one "epoch" is a forward pass over all images, no gradients
    limit: int | None = None  # train on the first `limit` images only

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths from input to output, e.g. (784, 256, 10)."""
        return (784, *self.hidden, 10)

    @property
    def layers(self) -> list[tuple[int, int]]:
        """(fan_in, fan_out) of every Linear layer, e.g. [(784, 256), (256, 10)]."""
        return list(itertools.pairwise(self.sizes))


def parse_spec(argv: list[str] | None = None) -> Spec:
    parser = argparse.ArgumentParser(description="One speed worker (benchmarks/speed.py starts it).")
    parser.add_argument("--images", type=Path, required=True, help=".npy of float32 images (N, 784)")
    parser.add_argument("--labels", type=Path, required=True, help=".npy of int64 labels (N,)")
    parser.add_argument("--result", type=Path, required=True, help="JSON file to write the timings to")
    parser.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    parser.add_argument("--hidden", type=int, nargs="+", default=[], help="the MLP's hidden widths")
    parser.add_argument("--task", choices=("train", "infer"), default="train")
    parser.add_argument("--limit", type=int, help="use the first LIMIT images only")
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--optimizer", choices=("adam", "sgd"), required=True)
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.model == "mlp" and not args.hidden:
        parser.error("--hidden is required for --model mlp")
    return Spec(args.images, args.labels, args.result, tuple(args.hidden), args.batch_size, args.optimizer,
                args.lr, args.momentum, args.warmup, args.threads, args.seed, args.model, args.task,
                args.limit)


def load_data(spec: Spec) -> tuple[np.ndarray, np.ndarray]:
    """The images and labels every worker trains on: the same arrays, read fully into memory
    (the first `spec.limit` of them), as (N, 1, 28, 28) images for the CNN."""
    images, labels = np.load(spec.images), np.load(spec.labels)
    if images.dtype != np.float32 or images.ndim != 2 or labels.dtype != np.int64:
        raise ValueError(f"expected float32 (N, 784) images and int64 labels, got {images.dtype} "
                         f"{images.shape} and {labels.dtype}; rerun benchmarks/speed.py to rewrite them")
    if spec.limit is not None:
        images, labels = images[:spec.limit], labels[:spec.limit]
    if spec.model == "cnn":
        images = np.ascontiguousarray(images.reshape(-1, 1, 28, 28))
    return images, labels


def batch_slices(n: int, batch_size: int) -> Iterator[slice]:
    """Positions of each mini-batch in a shuffled order; the last batch may be smaller."""
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """A fresh permutation per epoch, drawn the way npnn's DataLoader draws it."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def cnn_layers(nn: Any) -> list[Any]:
    """The small CNN of the `cnn` rows (benchmarks/README.md), from either library's `nn`."""
    return [nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10)]


def build_mlp(nn: Any, optim: Any, spec: Spec) -> tuple[Any, Any]:
    """The model (the MLP of `spec.hidden`, or the CNN) and optimizer of `spec`, from
    `torch.nn`/`torch.optim` or `npnn.nn`/`npnn.optim`: one piece of code for both, as code
    written for PyTorch ports to npnn by its import."""
    if spec.model == "cnn":
        model = nn.Sequential(*cnn_layers(nn))
    else:
        hidden = [m for fan_in, fan_out in spec.layers[:-1] for m in (nn.Linear(fan_in, fan_out), nn.ReLU())]
        model = nn.Sequential(*hidden, nn.Linear(*spec.layers[-1]))
    if spec.optimizer == "adam":
        return model, optim.Adam(model.parameters(), lr=spec.lr)
    return model, optim.SGD(model.parameters(), lr=spec.lr, momentum=spec.momentum)


def train_step(model: Any, optimizer: Any, cross_entropy: Callable[..., Any], x: Any, y: Any) -> float:
    """One PyTorch-style step (npnn's Trainer does the same); returns the batch's summed loss."""
    loss = cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item() * len(y)


def peak_rss_mib() -> float:
    """This process's peak resident memory so far, in MiB.

    Linux's VmHWM, where there is one: ru_maxrss would be at least the parent's peak, because
    Linux carries it over into the child through fork and exec.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# starts every line meant for the orchestrator (benchmarks/lockstep.py has the same constant)
REPLY_PREFIX = "npnn-bench "


def _reply(message: dict[str, Any]) -> None:
    print(REPLY_PREFIX + json.dumps(message), flush=True)


def measure(spec: Spec, train_epoch: Callable[[int], float],
            extra: Callable[[], dict[str, Any]] | None = None) -> None:
    """Run `spec.warmup` unmeasured epochs, then the measured ones, and write the result file.

    Measured epochs: one per "epoch" line on stdin, each answered with its seconds, loss and
    this process's CPU seconds, until "stop" (or the end of stdin).
    `train_epoch(epoch)` trains one pass and returns its mean training loss (nan when there is
    none), which lets the orchestrator check that training works. `extra()` adds fields
    known only after training.
    """
    for epoch in range(spec.warmup):
        train_epoch(epoch)
    seconds, losses = [], []

    def timed_epoch() -> dict[str, float]:
        start, cpu = time.perf_counter(), time.process_time()
        loss = train_epoch(spec.warmup + len(seconds))
        seconds.append(time.perf_counter() - start)
        losses.append(loss)
        return {"seconds": seconds[-1], "loss": loss, "cpu": time.process_time() - cpu}

    _reply({"ready": True})
    for line in sys.stdin:
        if line.strip() != "epoch":
            break
        _reply(timed_epoch())
    result = {
        "epoch_seconds": seconds,
        "median_s": statistics.median(seconds) if seconds else None,
        "min_s": min(seconds) if seconds else None,
        "losses": losses,
        "peak_rss_mib": peak_rss_mib(),
        **(extra() if extra else {}),
    }
    spec.result.write_text(json.dumps(result))
