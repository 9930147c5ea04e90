"""Elementwise primitives: arithmetic, unary math, clamp, maximum/minimum, where, casts.

Broadcasting is undone centrally by the engine, so each backward returns
gradients shaped like the (broadcast) output.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn.autograd.function import Function
from npnn.tensor import Tensor


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, grad_output):
        return grad_output, grad_output


def add(input: Any, other: Any) -> Tensor:
    """input + other, with broadcasting."""
    return Add.apply(input, other)


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, grad_output):
        return grad_output, (-grad_output if self.needs_input_grad[1] else None)


def sub(input: Any, other: Any) -> Tensor:
    """input - other, with broadcasting."""
    return Sub.apply(input, other)


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad_output):
        grad_a = grad_output * self.b if self.needs_input_grad[0] else None
        grad_b = grad_output * self.a if self.needs_input_grad[1] else None
        return grad_a, grad_b


def mul(input: Any, other: Any) -> Tensor:
    """input * other, with broadcasting."""
    return Mul.apply(input, other)


class Div(Function):
    def forward(self, a, b):
        if a.dtype.kind in "biu" and b.dtype.kind in "biu":
            # true division of integers gives the default float dtype (NumPy would give float64)
            a = a.astype(backend.get_default_dtype())
            b = b.astype(a.dtype)
        self.b = b
        self.out = a / b
        return self.out

    def backward(self, grad_output):
        grad_a = grad_output / self.b
        grad_b = -grad_a * self.out if self.needs_input_grad[1] else None
        return grad_a, grad_b


def div(input: Any, other: Any) -> Tensor:
    """input / other (true division), with broadcasting."""
    return Div.apply(input, other)


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, grad_output):
        return -grad_output


def neg(input: Any) -> Tensor:
    """-input."""
    return Neg.apply(input)


class Pow(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a**b
        return self.out

    def backward(self, grad_output):
        xp = backend.get_array_module(self.a)
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = grad_output * self.b * self.a ** (self.b - 1)
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_b = grad_output * self.out * xp.log(self.a)
        return grad_a, grad_b


def pow(input: Any, exponent: Any) -> Tensor:
    """input ** exponent; d/d(exponent) = out · log(input)."""
    return Pow.apply(input, exponent)


class Exp(Function):
    def forward(self, a):
        self.out = backend.get_array_module(a).exp(a)
        return self.out

    def backward(self, grad_output):
        return grad_output * self.out


def exp(input: Any) -> Tensor:
    """e ** input."""
    return Exp.apply(input)


class Log(Function):
    def forward(self, a):
        self.a = a
        return backend.get_array_module(a).log(a)

    def backward(self, grad_output):
        return grad_output / self.a


def log(input: Any) -> Tensor:
    """Natural logarithm; d/dx = 1/x."""
    return Log.apply(input)


class Sqrt(Function):
    def forward(self, a):
        self.out = backend.get_array_module(a).sqrt(a)
        return self.out

    def backward(self, grad_output):
        return grad_output / (2 * self.out)


def sqrt(input: Any) -> Tensor:
    """Square root; d/dx = 1 / (2 sqrt(x))."""
    return Sqrt.apply(input)


class Abs(Function):
    def forward(self, a):
        self.a = a
        return backend.get_array_module(a).abs(a)

    def backward(self, grad_output):
        return grad_output * backend.get_array_module(self.a).sign(self.a)


def abs(input: Any) -> Tensor:
    """|input|; the gradient at 0 is 0, as in PyTorch."""
    return Abs.apply(input)


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
        return grad_output * self.inside


def clamp(input: Any, min: float | None = None, max: float | None = None) -> Tensor:
    """Limit values to [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise ValueError("clamp needs at least one of min= or max=")
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
        grad_a = grad_output * self.condition if self.needs_input_grad[1] else None
        grad_b = grad_output * ~self.condition if self.needs_input_grad[2] else None
        return None, grad_a, grad_b


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """input where condition is true, else other (with broadcasting)."""
    if not isinstance(condition, Tensor):
        condition = Tensor(backend.get_array_module(condition).asarray(condition, dtype=bool))
    elif condition.dtype != np.bool_:
        condition = Tensor(condition.data.astype(bool))
    return Where.apply(condition, input, other)


class Cast(Function):
    def forward(self, a, dtype=None):
        self.dtype = a.dtype
        return a.astype(dtype, copy=False)

    def backward(self, grad_output):
        return grad_output.astype(self.dtype, copy=False)


def cast(input: Tensor, dtype: Any) -> Tensor:
    """Convert to `dtype`; gradients flow back between floating dtypes."""
    dtype = np.dtype(dtype)
    if dtype == input.dtype:
        return input
    if dtype.kind != "f":
        return Tensor._from_op(input.data.astype(dtype), None)
    return Cast.apply(input, dtype=dtype)


class Clone(Function):
    def forward(self, a):
        return a.copy()

    def backward(self, grad_output):
        return grad_output


def clone(input: Tensor) -> Tensor:
    """A copy of the data that stays in the graph."""
    return Clone.apply(input)


class ToDevice(Function):
    def forward(self, a, device="cpu"):
        self.source = backend.device_of(a)
        return backend.to_device(a, device)

    def backward(self, grad_output):
        return backend.to_device(grad_output, self.source)


def to_device(input: Tensor, device: str) -> Tensor:
    """Move to 'cpu' or 'cuda' (CuPy), keeping the graph."""
    if backend.device_of(input.data) == ("cuda" if device in ("cuda", "gpu") else device):
        return input
    if not input.requires_grad:
        return Tensor._from_op(backend.to_device(input.data, device), None)
    return ToDevice.apply(input, device=device)
