"""Elementwise selection: clamp, maximum/minimum, where, masked_fill.

Each picks, per element, one of its inputs (or a bound); the gradient goes to the picked one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.clamp_tensor import clamp_tensor
from npnn.ops.elementwise import cast


def pass_where(grad: Any, mask: Any) -> Any:
    """grad where mask is true, else 0, as PyTorch's backward selects it: an inf or NaN gradient
    at a masked position gives 0 there. Multiplied by the mask first (a selection is several times
    slower in NumPy), and selected only when that left a non-finite value (inf · 0 is NaN)."""
    xp = backend.get_array_module(grad)
    with np.errstate(invalid="ignore"):  # inf · 0, replaced below
        result = grad * mask
    if not xp.isfinite(result).all():
        result = xp.where(mask, grad, grad.dtype.type(0))
    return result


class Clamp(Function):
    def forward(self, a, min=None, max=None):
        xp = backend.get_array_module(a)
        self.inside = xp.ones(a.shape, dtype=bool)
        if min is not None:
            self.inside &= a >= min
        if max is not None:
            self.inside &= a <= max
        return xp.clip(a, min, max)

    def backward(self, grad_output):
        return pass_where(grad_output, self.inside)


def clamp(input: Any, min: Any = None, max: Any = None) -> Tensor:
    """Limit values to [min, max] (numbers, or Tensors broadcast: clamp_tensor.py); the gradient
    passes where min <= x <= max."""
    if min is None and max is None:
        raise ValueError("clamp needs at least one of min= or max=")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return clamp_tensor(input, min, max)
    return Clamp.apply(input, min=min, max=max)


clip = clamp


class _Extremum(Function):
    """maximum/minimum: the gradient goes to the chosen input, split evenly on ties."""

    pick_first: Any

    def forward(self, a, b):
        self.first = self.pick_first(a, b)
        self.tie = a == b
        return backend.get_array_module(a).where(self.first, a, b)

    def backward(self, grad_output):
        half = grad_output * 0.5
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = backend.get_array_module(grad_output).where(
                self.tie, half, grad_output * self.first
            )
        if self.needs_input_grad[1]:
            grad_b = backend.get_array_module(grad_output).where(
                self.tie, half, grad_output * ~self.first
            )
        return grad_a, grad_b


class Maximum(_Extremum):
    pick_first = staticmethod(lambda a, b: a > b)


class Minimum(_Extremum):
    pick_first = staticmethod(lambda a, b: a < b)


def maximum(input: Any, other: Any) -> Tensor:
    """Elementwise max of two tensors; on ties each gets half the gradient (as PyTorch)."""
    return Maximum.apply(input, other)


def minimum(input: Any, other: Any) -> Tensor:
    """Elementwise min of two tensors; on ties each gets half the gradient (as PyTorch)."""
    return Minimum.apply(input, other)


class Where(Function):
    def forward(self, condition, a, b):
        self.condition = condition
        return backend.get_array_module(a).where(condition, a, b)

    def backward(self, grad_output):
        grad_a = pass_where(grad_output, self.condition) if self.needs_input_grad[1] else None
        grad_b = pass_where(grad_output, ~self.condition) if self.needs_input_grad[2] else None
        return None, grad_a, grad_b


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """input where condition is true, else other (with broadcasting)."""
    if not isinstance(condition, Tensor):
        condition = Tensor(backend.get_array_module(condition).asarray(condition, dtype=bool))
    elif condition.dtype != np.bool_:
        condition = Tensor(condition.array.astype(bool))
    return Where.apply(condition, input, other)


def masked_fill(input: Any, mask: Any, value: Any) -> Tensor:
    """`value` where `mask` is true, else input (the gradient reaches input where mask is false)."""
    input = to_tensor(input)
    value = to_tensor(value, like=(input,))
    if value.ndim:
        raise RuntimeError(f"masked_fill needs a 0-d value, got shape {value.shape}")
    return where(mask, cast(value, input.dtype), input)
