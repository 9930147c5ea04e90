"""The op-table machinery: input generators, `Arg`, `OpCase` and `case()`, which registers
a row in `CASES`. The rows themselves live in op_table.py and op_table_more.py.

Each case holds the npnn function, how to draw its inputs, and optionally the same
computation written for PyTorch (`ref`; `SAME` when the npnn function also runs on torch
tensors). Inputs are drawn so that no sample sits on a kink or a tie: finite differences
are only meaningful where the op is differentiable.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import npnn

Gen = Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]


class _Lazy:
    """A module imported on first use, so the table loads without PyTorch."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


torch = _Lazy("torch")
TF = _Lazy("torch.nn.functional")

SAME = "same"  # `ref`: the npnn function works unchanged on torch tensors


# ----- input generators: (rng, shape) -> float64, int64 or bool array -----
def normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal(shape)


def positive(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.5, 2.0, shape)


def probabilities(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.05, 0.95, shape)


def away(*points: float, margin: float = 0.1) -> Gen:
    """Normal samples at least `margin` from each kink in `points`."""

    def gen(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        x = rng.standard_normal(shape)
        while True:
            near = np.zeros(shape, dtype=bool)
            for p in points:
                near |= np.abs(x - p) < margin
            if not near.any():
                return x
            x[near] = rng.standard_normal(int(near.sum()))

    return gen


nonzero = away(0.0)


def spaced(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Distinct values at least 0.1 apart in random order: no ties for max/min."""
    n = int(np.prod(shape, dtype=np.int64))
    return (rng.permutation(n) * 0.1 - 0.05 * n + rng.uniform(0, 0.01)).reshape(shape)


def small(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """|y| < 0.05: paired with `nonzero` x, x - y stays away from 0."""
    return rng.uniform(-0.05, 0.05, shape)


def distribution(axis: int = 1) -> Gen:
    """Rows of probabilities summing to 1 along `axis` (soft targets)."""

    def gen(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        e = rng.uniform(0.1, 1.0, shape)
        return e / e.sum(axis=axis, keepdims=True)

    return gen


def labels(classes: int, ignore: int | None = None) -> Gen:
    """Class indices in [0, classes); with `ignore`, the first sample gets that value."""

    def gen(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        target = rng.integers(0, classes, shape).astype(np.int64)
        if ignore is not None and target.size:
            target.reshape(-1)[0] = ignore
        return target

    return gen


def const(array: Any) -> Gen:
    """A fixed array (indices, masks, weights); its shape comes from the array."""
    value = np.asarray(array)

    def gen(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return value.copy()

    return gen


@dataclass(frozen=True)
class Arg:
    """One input: its shape, how to draw it, and whether it needs a gradient (floats only)."""

    shape: tuple[int, ...] = ()
    gen: Gen = normal
    grad: bool = True


def C(array: Any) -> Arg:
    """A constant input that never needs a gradient."""
    return Arg(np.shape(array), const(array), grad=False)


@dataclass(frozen=True)
class OpCase:
    name: str
    fn: Callable[..., npnn.Tensor]
    args: tuple[Arg, ...]
    ref: Callable[..., Any] | str | None = None
    smooth: bool = True  # False: inputs sit on a tie, finite differences do not apply

    def torch_fn(self) -> Callable[..., Any] | None:
        return self.fn if self.ref == SAME else self.ref  # type: ignore[return-value]

    def arrays(self, seed: int = 0) -> list[np.ndarray]:
        """The inputs as NumPy arrays (floats in float64), the same for every call."""
        rng = np.random.default_rng([seed, *self.name.encode()])
        return [arg.gen(rng, arg.shape) for arg in self.args]

    def needs_grad(self, array: np.ndarray, arg: Arg) -> bool:
        return arg.grad and array.dtype.kind == "f"

    def npnn_inputs(self, dtype: Any) -> list[npnn.Tensor]:
        """Fresh npnn tensors: float arrays cast to `dtype`, integer and bool arrays kept."""
        inputs = []
        for array, arg in zip(self.arrays(), self.args, strict=True):
            data = array.astype(dtype) if array.dtype.kind == "f" else array
            inputs.append(npnn.Tensor(data, requires_grad=self.needs_grad(array, arg)))
        return inputs


CASES: list[OpCase] = []


def case(name: str, fn: Callable[..., Any], *args: Arg, ref: Any = None,
         smooth: bool = True) -> None:
    if any(c.name == name for c in CASES):
        raise ValueError(f"duplicate op case name {name!r}")
    CASES.append(OpCase(name, fn, tuple(args), ref, smooth))


def by_name(name: str) -> OpCase:
    return next(c for c in CASES if c.name == name)


def ids(cases: Sequence[OpCase]) -> list[str]:
    return [c.name for c in cases]
