"""Forward and backward time of each op of the small CNN, npnn beside PyTorch CPU.

    .venv/bin/python benchmarks/conv_profile.py [--batch-sizes 64 128] [--repeats 20] [--threads 2]

The CNN of `npnn train --model cnn` (and of speed.py's `cnn` rows): Conv 1→32 3×3, ReLU,
MaxPool 2, Conv 32→64 3×3, ReLU, MaxPool 2, Flatten, Linear 1600→128, ReLU, Linear 10. Each
op is timed alone on random inputs of its shape in the network, as training runs it: forward
with autograd recording, then backward from a random gradient (conv1's input needs no
gradient, as the images' do not). Every framework runs in a child process of its own with the
same BLAS/OpenMP thread count (one process's spinning OpenBLAS threads slow PyTorch; see
README.md). Each library's ops get inputs in the memory layout its own network hands them:
contiguous (N, C, H, W) for PyTorch, channels-last for npnn (its convolutions' output layout).
This VM's speed changes from one moment to the next, so the frameworks take turns: `--rounds`
rounds of one child per framework, each timing `--repeats` runs of every op; the table shows the
fastest run of all rounds, with the median beside it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runner import run_child, thread_env
from table import format_table

OPS = ("conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "linear1", "linear2")


def shapes(batch: int) -> dict[str, dict[str, Any]]:
    """Each op's input shape (and weight shape) at `batch` images, as they flow through the CNN."""
    return {
        "conv1": {"x": (batch, 1, 28, 28), "w": (32, 1, 3, 3), "input_grad": False},
        "relu1": {"x": (batch, 32, 26, 26)},
        "pool1": {"x": (batch, 32, 26, 26)},
        "conv2": {"x": (batch, 32, 13, 13), "w": (64, 32, 3, 3), "input_grad": True},
        "relu2": {"x": (batch, 64, 11, 11)},
        "pool2": {"x": (batch, 64, 11, 11)},
        "linear1": {"x": (batch, 1600), "w": (128, 1600), "input_grad": True},
        "linear2": {"x": (batch, 128), "w": (10, 128), "input_grad": True},
    }


def time_op(lib: Any, functional: Any, op: str, spec: dict[str, Any], repeats: int,
            tensor: Callable[..., Any]) -> dict[str, list[float]]:
    """Seconds of `repeats` forwards and backwards of one op (after two untimed ones)."""
    x = tensor(spec["x"], spec.get("input_grad", True))
    weight = tensor(spec["w"], True) if "w" in spec else None
    bias = tensor(spec["w"][:1], True) if "w" in spec else None

    def forward() -> Any:
        if op.startswith("conv"):
            return functional.conv2d(x, weight, bias)
        if op.startswith("relu"):
            return functional.relu(x)
        if op.startswith("pool"):
            return functional.max_pool2d(x, 2)
        return functional.linear(x, weight, bias)

    grad = None
    times: dict[str, list[float]] = {"forward": [], "backward": []}
    for rep in range(repeats + 2):
        for t in (x, weight, bias):
            if t is not None:
                t.grad = None
        start = time.perf_counter()
        out = forward()
        middle = time.perf_counter()
        if grad is None:
            grad = tensor(tuple(out.shape), False)
        out.backward(grad)
        end = time.perf_counter()
        if rep >= 2:
            times["forward"].append(middle - start)
            times["backward"].append(end - middle)
    return times


def child(framework: str, batches: list[int], repeats: int, threads: int) -> None:
    """Time every op in this process and print the timings as one JSON line."""
    if framework == "npnn":  # before NumPy, as `npnn train` imports it (src/npnn/_blas_threads.py)
        import npnn
    import numpy as np

    rng = np.random.default_rng(0)
    if framework == "torch":
        import torch

        torch.set_num_threads(threads)
        lib, functional = torch, torch.nn.functional

        def tensor(shape: tuple[int, ...], grad: bool) -> Any:
            return torch.from_numpy(rng.standard_normal(shape, dtype=np.float32)).requires_grad_(grad)
    else:
        import npnn
        import npnn.nn.functional as F

        lib, functional = npnn, F

        def tensor(shape: tuple[int, ...], grad: bool) -> Any:
            """In the layout the network hands each op: npnn's convolutions return channels-last
            activations, and ReLU and pooling keep that layout forward and backward, so every
            4-D input and gradient with channels is channels-last (PyTorch's are contiguous)."""
            values = rng.standard_normal(shape, dtype=np.float32)
            if len(shape) == 4 and shape[1] > 1:
                values = np.ascontiguousarray(values.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
            return npnn.from_numpy(values).requires_grad_(grad)

    results = {str(batch): {op: time_op(lib, functional, op, spec, repeats, tensor)
                            for op, spec in shapes(batch).items()} for batch in batches}
    print(json.dumps(results))


def merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    """Append the seconds lists of `more` to those of `into` (nested batch -> op -> phase)."""
    for key, value in more.items():
        if isinstance(value, dict):
            merge(into.setdefault(key, {}), value)
        else:
            into.setdefault(key, []).extend(value)


def machine(threads: int) -> dict[str, Any]:
    """CPU model and NumPy's BLAS, as speed.py records them."""
    from machine import machine_line, machine_record

    record = machine_record(threads)
    keys = ("processor", "numpy_blas", "blas", "blas_kernel", "versions")
    return {**{key: record[key] for key in keys}, "line": machine_line(record)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--repeats", type=int, default=10, help="timed runs of each op per round")
    parser.add_argument("--rounds", type=int, default=3, help="children per framework, in turns (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS/OpenMP threads (default 2)")
    parser.add_argument("--frameworks", nargs="+", default=["npnn", "torch"], choices=["npnn", "torch"])
    parser.add_argument("--out", type=Path, help="write the timings as JSON here")
    parser.add_argument("--child", choices=["npnn", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.batch_sizes, args.repeats, args.threads)
        return 0
    timings: dict[str, Any] = {}
    for turn in range(args.rounds):
        order = args.frameworks if turn % 2 == 0 else args.frameworks[::-1]
        for framework in order:
            command = [sys.executable, __file__, "--child", framework, "--repeats", str(args.repeats),
                       "--threads", str(args.threads), "--batch-sizes", *map(str, args.batch_sizes)]
            done = run_child(command, thread_env(args.threads), timeout=1800)
            if done.returncode != 0:
                print(f"{framework}: {done.reason()}", file=sys.stderr)
                return 1
            merge(timings.setdefault(framework, {}), json.loads(done.stdout.strip().splitlines()[-1]))
    info = machine(args.threads)
    print(f"{info['line']}, best of {args.rounds} x {args.repeats} runs (median in brackets), milliseconds")
    headers = ["batch", "op"] + [f"{f} {p}" for p in ("fwd", "bwd") for f in args.frameworks]
    if len(args.frameworks) == 2:
        headers += ["fwd ratio", "bwd ratio"]
    body = []
    for batch in map(str, args.batch_sizes):
        totals = {f: {"forward": 0.0, "backward": 0.0} for f in args.frameworks}
        for op in [*OPS, "total"]:
            row, best = [batch, op], {}
            for phase in ("forward", "backward"):
                for f in args.frameworks:
                    if op == "total":
                        best[f, phase] = totals[f][phase]
                        row.append(f"{1000 * best[f, phase]:.2f}")
                        continue
                    seconds = timings[f][batch][op][phase]
                    best[f, phase] = min(seconds)
                    totals[f][phase] += best[f, phase]
                    row.append(f"{1000 * min(seconds):.2f} ({1000 * statistics.median(seconds):.2f})")
            if len(args.frameworks) == 2:
                row += [f"{best['npnn', p] / best['torch', p]:.2f}x" for p in ("forward", "backward")]
            body.append(row)
    print(format_table(headers, body, left=2))
    if args.out:
        args.out.write_text(json.dumps({"machine": info, "threads": args.threads, "rounds": args.rounds,
                                        "repeats": args.repeats,
                                        "timings": timings}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
