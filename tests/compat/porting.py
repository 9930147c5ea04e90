"""Run PyTorch's tutorials on npnn and on torch from one source.

`tutorials/<name>.py` holds a tutorial's code as published with only its imports changed to
npnn's; `torch_source` swaps them back mechanically, so diffing a file against the tutorial shows
every change. torchvision is not installed: the torch run gets `torchvision_shim`, which hands
torch the very images npnn's datasets read.

Both runs start from the same numbers: `Twin` records every random draw, every `nn.Linear` and
`nn.Conv2d` initialization and every shuffled order of the npnn run, and replays them into the
torch run in the same order.
"""

from __future__ import annotations

import gzip
import pickle
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import npnn
from npnn.vision import datasets

TUTORIALS = Path(__file__).parent / "tutorials"

# npnn's import line -> torch's. torchvision's names come from the shim (see its docstring).
TORCH_IMPORTS = [
    (r"^import npnn as torch$", "import torch"),
    (r"^import npnn\.([\w.]+) as (\w+)$", r"import torch.\1 as \2"),
    (r"^from npnn import (.*)$", r"from torch import \1"),
    (r"^from npnn\.utils\.data import (.*)$", r"from torch.utils.data import \1"),
    (r"^from npnn\.vision(?:\.\w+)? import (.*)$", r"from torchvision_shim import \1"),
    (r"^from tutorial_models import ([\w, ]+?)  # compat: .*$", r"from torchvision_shim import \1"),
]


def npnn_source(name: str) -> str:
    """The tutorial as npnn runs it: the published code with npnn's imports."""
    return (TUTORIALS / f"{name}.py").read_text()


def torch_source(name: str) -> str:
    """The same tutorial with the import lines swapped back to torch's; nothing else changes."""
    return to_torch(npnn_source(name))


def to_torch(source: str) -> str:
    """npnn's import lines in `source` swapped for torch's; a line without a counterpart fails."""
    for pattern, replacement in TORCH_IMPORTS:
        source = re.sub(pattern, replacement, source, flags=re.MULTILINE)
    left = re.search(r"^(from|import) npnn.*$", source, flags=re.MULTILINE)
    assert left is None, f"no torch counterpart in TORCH_IMPORTS for {left and left.group(0)!r}"
    return source


def prose_code(source: str, first_lines: list[str]) -> str:
    """The code blocks the tutorial shows in its prose (`# .. code:: python`) that begin with
    `first_lines`, as plain code; a block that is missing fails."""
    blocks = re.findall(r"^# \.\. code:: python\n#\n((?:#(?: {4}.*)?\n)+)", source, flags=re.MULTILINE)
    code = {}
    for block in blocks:
        lines = [line[6:] for line in block.splitlines()]
        code[lines[0]] = "\n".join(lines).strip() + "\n"
    return "\n".join(code[line] for line in first_lines)


def replace_lines(source: str, replacements: dict[str, str]) -> str:
    """Each whole line in `replacements` swapped for its value; a line that is missing fails."""
    for line, stand_in in replacements.items():
        assert source.count(line) == 1, f"not exactly once in the tutorial: {line!r}"
        source = source.replace(line, stand_in)
    return source


def run(source: str, filename: str) -> dict[str, Any]:
    """Execute a tutorial in a fresh namespace, as `python tutorial.py` would."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


class SmallFashionMNIST(datasets.FashionMNIST):
    """The first 640 training / 320 test images: the tutorials' loops in seconds, not minutes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        size = 640 if self.train else 320
        self.data, self.targets = self.data[:size], self.targets[:size]


FULL_FASHION_MNIST = datasets.FashionMNIST  # before conftest puts SmallFashionMNIST in its place


def write_mnist_pickle(path: Path, train: int = 640, valid: int = 320, test: int = 320) -> None:
    """The pickle "What is torch.nn really?" downloads, from the real Fashion-MNIST in its format:
    ((x_train, y_train), (x_valid, y_valid), (x_test, y_test)), rows of 784 float32 in [0, 1] and
    int64 labels; validation follows training in the training split, as in the tutorial's file."""
    def rows(dataset: datasets.MNIST, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        images = np.asarray(dataset.data)[start:stop].reshape(stop - start, 28 * 28)
        labels = np.asarray(dataset.targets)[start:stop].astype(np.int64)
        return (images / np.float32(255)).astype(np.float32), labels

    training, testing = (FULL_FASHION_MNIST("data", train=split) for split in (True, False))
    splits = (rows(training, 0, train), rows(training, train, train + valid), rows(testing, 0, test))
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as file:
        pickle.dump(splits, file)


RANDOM_FACTORIES = ["rand", "randn", "rand_like", "randn_like", "randint"]
LAYERS = ["Linear", "Conv2d"]  # their initial weights go from the npnn run to the torch run


class Twin:
    """Records the npnn run's random draws, layer weights and shuffles; replays them into torch."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.draws: list[np.ndarray] = []
        self.layers: list[tuple[str, np.ndarray, np.ndarray | None]] = []
        self.orders: list[list[int]] = []  # each shuffled epoch's order of the samples

    @property
    def linears(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        return [(weight, bias) for kind, weight, bias in self.layers if kind == "Linear"]

    @contextmanager
    def recording(self) -> Iterator[None]:
        with self.monkeypatch.context() as patch:
            for name in RANDOM_FACTORIES:
                patch.setattr(npnn, name, self._recorder(getattr(npnn, name)))
            for kind in LAYERS:
                patch.setattr(getattr(npnn.nn, kind), "__init__", self._layer_recorder(kind))
            sampler = npnn.utils.data.RandomSampler
            shuffle = sampler.__iter__

            def recording_iter(random_sampler: Any) -> Iterator[int]:
                self.orders.append(list(shuffle(random_sampler)))
                yield from self.orders[-1]

            patch.setattr(sampler, "__iter__", recording_iter)
            yield

    @contextmanager
    def replaying(self) -> Iterator[None]:
        torch = pytest.importorskip("torch")
        draws, layers, orders = iter(self.draws), iter(self.layers), iter(self.orders)
        with self.monkeypatch.context() as patch:
            for name in RANDOM_FACTORIES:
                patch.setattr(torch, name, self._replayer(getattr(torch, name), draws))
            for kind in LAYERS:
                layer = getattr(torch.nn, kind)
                patch.setattr(layer, "__init__", self._layer_replayer(kind, layer.__init__, layers))
            patch.setattr(torch.utils.data.RandomSampler, "__iter__", lambda _: iter(next(orders)))
            yield
        left = next(draws, None), next(layers, None), next(orders, None)
        assert left == (None, None, None), "torch drew less than npnn"

    def _layer_recorder(self, kind: str) -> Callable[..., None]:
        init = getattr(npnn.nn, kind).__init__

        def recording_init(layer: Any, *args: Any, **kwargs: Any) -> None:
            init(layer, *args, **kwargs)
            bias = None if layer.bias is None else layer.bias.detach().numpy().copy()
            self.layers.append((kind, layer.weight.detach().numpy().copy(), bias))
        return recording_init

    @staticmethod
    def _layer_replayer(kind: str, init: Callable[..., None],
                        layers: Iterator[tuple[str, np.ndarray, np.ndarray | None]]) -> Callable[..., None]:
        torch = pytest.importorskip("torch")

        def replaying_init(layer: Any, *args: Any, **kwargs: Any) -> None:
            init(layer, *args, **kwargs)
            recorded, weight, bias = next(layers)
            assert recorded == kind, f"torch built a {kind} where npnn built a {recorded}"
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(weight))
                if bias is not None:
                    layer.bias.copy_(torch.from_numpy(bias))
        return replaying_init

    def _recorder(self, factory: Callable[..., Any]) -> Callable[..., Any]:
        def recording_factory(*args: Any, **kwargs: Any) -> Any:
            out = factory(*args, **kwargs)
            self.draws.append(out.detach().numpy().copy())
            return out
        return recording_factory

    @staticmethod
    def _replayer(factory: Callable[..., Any], draws: Iterator[np.ndarray]) -> Callable[..., Any]:
        torch = pytest.importorskip("torch")

        def replaying_factory(*args: Any, **kwargs: Any) -> Any:
            out = factory(*args, **kwargs)
            draw = next(draws)
            assert tuple(out.shape) == draw.shape, f"torch drew {tuple(out.shape)}, npnn {draw.shape}"
            with torch.no_grad():
                out.copy_(torch.from_numpy(draw))
            return out
        return replaying_factory


def numbers(text: str, label: str) -> list[float]:
    """Every number printed after `label`, a regex ("^loss:" for the batch lines, "Avg loss:")."""
    return [float(value) for value in re.findall(rf"{label}\s*([-0-9.]+)", text, flags=re.MULTILINE)]
