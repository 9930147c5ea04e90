"""Run PyTorch's "Learn the Basics" tutorials on npnn and on torch from one source.

`tutorials/<name>.py` holds a tutorial's code as published with only its imports changed to
npnn's; `torch_source` swaps them back mechanically, so diffing a file against the tutorial shows
every change. torchvision is not installed: the torch run gets `torchvision_shim`, which hands
torch the very images npnn's datasets read.

Both runs start from the same numbers: `Twin` records every random draw and every `nn.Linear`
initialization of the npnn run, and replays them into the torch run in the same order.
"""

from __future__ import annotations

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
    (r"^from npnn import nn$", "from torch import nn"),
    (r"^from npnn\.utils\.data import (.*)$", r"from torch.utils.data import \1"),
    (r"^from npnn\.vision(?:\.\w+)? import (.*)$", r"from torchvision_shim import \1"),
]


def npnn_source(name: str) -> str:
    """The tutorial as npnn runs it: the published code with npnn's imports."""
    return (TUTORIALS / f"{name}.py").read_text()


def torch_source(name: str) -> str:
    """The same tutorial with the import lines swapped back to torch's; nothing else changes."""
    source = npnn_source(name)
    for pattern, replacement in TORCH_IMPORTS:
        source = re.sub(pattern, replacement, source, flags=re.MULTILINE)
    left = re.search(r"^(from|import) npnn.*$", source, flags=re.MULTILINE)
    assert left is None, f"no torch counterpart in TORCH_IMPORTS for {left and left.group(0)!r}"
    return source


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


RANDOM_FACTORIES = ["rand", "randn", "rand_like", "randn_like", "randint"]


class Twin:
    """Records the npnn run's random draws and Linear weights; replays them into the torch run."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.draws: list[np.ndarray] = []
        self.linears: list[tuple[np.ndarray, np.ndarray | None]] = []

    @contextmanager
    def recording(self) -> Iterator[None]:
        with self.monkeypatch.context() as patch:
            for name in RANDOM_FACTORIES:
                patch.setattr(npnn, name, self._recorder(getattr(npnn, name)))
            init = npnn.nn.Linear.__init__

            def recording_init(linear: Any, *args: Any, **kwargs: Any) -> None:
                init(linear, *args, **kwargs)
                bias = None if linear.bias is None else linear.bias.detach().numpy().copy()
                self.linears.append((linear.weight.detach().numpy().copy(), bias))

            patch.setattr(npnn.nn.Linear, "__init__", recording_init)
            yield

    @contextmanager
    def replaying(self) -> Iterator[None]:
        torch = pytest.importorskip("torch")
        draws, linears = iter(self.draws), iter(self.linears)
        with self.monkeypatch.context() as patch:
            for name in RANDOM_FACTORIES:
                patch.setattr(torch, name, self._replayer(getattr(torch, name), draws))
            init = torch.nn.Linear.__init__

            def replaying_init(linear: Any, *args: Any, **kwargs: Any) -> None:
                init(linear, *args, **kwargs)
                weight, bias = next(linears)
                with torch.no_grad():
                    linear.weight.copy_(torch.from_numpy(weight))
                    if bias is not None:
                        linear.bias.copy_(torch.from_numpy(bias))

            patch.setattr(torch.nn.Linear, "__init__", replaying_init)
            yield
        assert next(draws, None) is None and next(linears, None) is None, "torch drew less than npnn"

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
