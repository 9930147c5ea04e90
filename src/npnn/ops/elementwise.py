"""Elementwise primitives: arithmetic, unary math, integer division, casts and device moves.

Broadcasting is undone centrally by the engine, so each backward returns
gradients shaped like the (broadcast) output.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.autograd.grad_mode import is_grad_enabled
from npnn.dtypes import promote
from npnn.ops.out import write_out


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, grad_output):
        return grad_output, grad_output


def add(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """input + other, with broadcasting."""
    return write_out(Add.apply(input, other), out, "add")


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, grad_output):
        return grad_output, (-grad_output if self.needs_input_grad[1] else None)


def sub(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """input - other, with broadcasting."""
    return write_out(Sub.apply(input, other), out, "sub")


class Mul(Function):
    def forward(self, a, b):
        # save only what a needed gradient uses (as PyTorch), so an in-place change of the
        # other operand does not stop backward
        needs_a, needs_b = self.needs_input_grad
        self.a, self.b = (a if needs_b else None), (b if needs_a else None)
        return a * b

    def backward(self, grad_output):
        grad_a = grad_output * self.b if self.needs_input_grad[0] else None
        grad_b = grad_output * self.a if self.needs_input_grad[1] else None
        return grad_a, grad_b


def mul(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """input * other, with broadcasting."""
    return write_out(Mul.apply(input, other), out, "mul")


class Div(Function):
    def forward(self, a, b):
        if a.dtype.kind in "biu" and b.dtype.kind in "biu":
            # true division of integers gives the default float dtype (NumPy would give float64)
            a = a.astype(backend.get_default_dtype())
            b = b.astype(a.dtype)
        self.b = b
        out = a / b
        self.out = out if self.needs_input_grad[1] else None
        return out

    def backward(self, grad_output):
        grad_a = grad_output / self.b
        grad_b = -grad_a * self.out if self.needs_input_grad[1] else None
        return grad_a, grad_b


def div(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """input / other (true division), with broadcasting."""
    return write_out(Div.apply(input, other), out, "div")


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, grad_output):
        return -grad_output


def neg(input: Any) -> Tensor:
    """-input."""
    return Neg.apply(input)


# constant scalar exponents with a cheaper form than NumPy's float power (as PyTorch's kernel):
# exponent -> (forward(a), d/da given a and out)
_FAST_POWERS = {
    1.0: (lambda xp, a: a.copy(), None),
    2.0: (lambda xp, a: a * a, lambda a, out: 2 * a),
    3.0: (lambda xp, a: a * a * a, lambda a, out: 3 * (a * a)),
    0.5: (lambda xp, a: xp.sqrt(a), lambda a, out: 0.5 / out),
    -1.0: (lambda xp, a: xp.reciprocal(a), lambda a, out: -(out * out)),
}


class Pow(Function):
    def forward(self, a, b):
        xp = backend.get_array_module(a)
        self.a, self.b, self.fast = a, b, None
        if b.ndim == 0 and a.dtype.kind == "f" and not self.needs_input_grad[1]:
            self.fast = _FAST_POWERS.get(float(b))
        with np.errstate(divide="ignore", invalid="ignore"):
            self.out = self.fast[0](xp, a) if self.fast else a**b
        return self.out

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        a, b = self.a, self.b
        grad_a = grad_b = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.fast:
                derivative = self.fast[1]
                grad_a = grad_output if derivative is None else grad_output * derivative(a, self.out)
                return grad_a, None
            if self.needs_input_grad[0]:
                grad_a = grad_output * (b * a ** (b - 1))
                # d(x**0)/dx is 0 even at x = 0, where the formula gives 0 · inf (as PyTorch)
                zero_exponent = b == 0
                if zero_exponent.any():
                    grad_a = xp.where(zero_exponent, xp.zeros((), grad_a.dtype), grad_a)
            if self.needs_input_grad[1]:
                grad_b = grad_output * (self.out * xp.log(a))
                # d(0**e)/de is 0 for e >= 0, where the formula gives 0 · -inf (as PyTorch)
                zero_base = (a == 0) & (b >= 0)
                if zero_base.any():
                    grad_b = xp.where(zero_base, xp.zeros((), grad_b.dtype), grad_b)
        return grad_a, grad_b


def pow(input: Any, exponent: Any) -> Tensor:
    """input ** exponent; d/d(exponent) = out · log(input).

    Constant exponents 1, 2, 3, 0.5 and -1 use multiplications, sqrt or reciprocal.
    """
    return Pow.apply(input, exponent)


def square(input: Any) -> Tensor:
    """input ** 2."""
    return Pow.apply(input, 2)


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


class Log1p(Function):
    def forward(self, a):
        self.a = a
        return backend.get_array_module(a).log1p(a)

    def backward(self, grad_output):
        return grad_output / (1 + self.a)


def log1p(input: Any) -> Tensor:
    """log(1 + input), accurate for small inputs; d/dx = 1/(1 + x)."""
    return Log1p.apply(input)


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


def _no_grad_binary(name: str, compute: Any, input: Any, other: Any) -> Tensor:
    """An elementwise op without a derivative: refuses inputs that need grad rather than drop it.
    Integer division by zero raises, as PyTorch (NumPy would warn and give 0)."""
    a, b = to_tensor(input, like=(input, other)), to_tensor(other, like=(input, other))
    if is_grad_enabled() and (a.requires_grad or b.requires_grad):
        raise RuntimeError(f"{name} is not differentiable in npnn; apply it to .detach()ed tensors")
    a_data, b_data = promote([a.array, b.array])
    if b_data.dtype.kind in "iu" and bool((b_data == 0).any()):
        raise RuntimeError("ZeroDivisionError")
    return Tensor._from_op(compute(backend.get_array_module(a_data), a_data, b_data), None)


def floor_divide(input: Any, other: Any) -> Tensor:
    """input // other, rounding toward -inf (as Python and torch's `//`); no gradient."""
    return _no_grad_binary("floor_divide", lambda xp, a, b: xp.floor_divide(a, b), input, other)


def remainder(input: Any, other: Any) -> Tensor:
    """input % other with the sign of other (as Python and torch's `%`); no gradient."""
    return _no_grad_binary("remainder", lambda xp, a, b: xp.remainder(a, b), input, other)


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
        return Tensor._from_op(input.array.astype(dtype), None)
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
    if backend.device_of(input.array) == ("cuda" if device in ("cuda", "gpu") else device):
        return input
    if not input.requires_grad:
        return Tensor._from_op(backend.to_device(input.array, device), None)
    return ToDevice.apply(input, device=device)
