"""Elementwise math that PyTorch users' code reaches for: clamp_min/clamp_max, nan_to_num,
signbit, heaviside, logaddexp, xlogy, hypot, deg2rad/rad2deg.

signbit and heaviside give tensors with no graph (PyTorch's heaviside has no derivative);
the others are differentiable with PyTorch's gradients.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.dtypes import torch_name
from npnn.ops.elementwise import cast, mul
from npnn.ops.selection import clamp, where


def _floating(input: Any) -> Tensor:
    input = to_tensor(input)
    return cast(input, backend.get_default_dtype()) if input.dtype.kind in "biu" else input


def _needs_float(op: str, *tensors: Tensor) -> None:
    for t in tensors:
        if t.dtype.kind != "f":
            raise NotImplementedError(f"\"{op}_cpu\" not implemented for '{torch_name(t.dtype)}': "
                                      f"{op} takes floating tensors; call .float() first")


def clamp_min(input: Any, min: Any) -> Tensor:
    """max(input, min): a number, or a tensor that broadcasts (the gradient goes to input
    where input >= min, else to min, as PyTorch)."""
    input = to_tensor(input)
    if isinstance(min, float):
        input = _floating(input)
    if isinstance(min, Tensor):
        return where(input >= min, input, min)
    return clamp(input, min=min)


def clamp_max(input: Any, max: Any) -> Tensor:
    """min(input, max): a number or a tensor (ties send the gradient to input)."""
    input = to_tensor(input)
    if isinstance(max, float):
        input = _floating(input)
    if isinstance(max, Tensor):
        return where(input <= max, input, max)
    return clamp(input, max=max)


class NanToNum(Function):
    def forward(self, a, nan=0.0, posinf=None, neginf=None):
        xp = backend.get_array_module(a)
        self.finite = xp.isfinite(a)
        return xp.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, grad_output):
        return grad_output * self.finite


def nan_to_num(input: Any, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """NaN -> `nan`, ±inf -> `posinf`/`neginf` (the dtype's largest/lowest by default); the
    gradient passes where input is finite."""
    input = to_tensor(input)
    if input.dtype.kind != "f":
        return cast(input, input.dtype) if input.dtype == np.bool_ else input.clone()
    return NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)


def signbit(input: Any) -> Tensor:
    """True where the sign bit is set (negative numbers and -0.0), as a bool tensor."""
    array = to_tensor(input).array
    return Tensor(backend.get_array_module(array).signbit(array))


def heaviside(input: Any, values: Any) -> Tensor:
    """0 where input < 0 (or NaN), `values` where input == 0, 1 where input > 0. No graph: PyTorch's
    heaviside has no derivative (its backward raises)."""
    input = to_tensor(input)
    values = to_tensor(values, like=(input,))
    if input.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    xp = backend.get_array_module(input.array)
    # PyTorch's rule, which gives 0 for NaN (NumPy's heaviside gives NaN)
    out = xp.where(input.array == 0, values.array, input.array > 0)
    return Tensor(out.astype(input.dtype, copy=False))


class LogAddExp(Function):
    def forward(self, a, b):
        xp = backend.get_array_module(a)
        self.a, self.b = a, b
        self.out = xp.logaddexp(a, b)
        return self.out

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)  # PyTorch's form: exp(a - out), exp(b - out)
        return grad_output * xp.exp(self.a - self.out), grad_output * xp.exp(self.b - self.out)


def logaddexp(input: Any, other: Any) -> Tensor:
    """log(exp(input) + exp(other)) without overflow."""
    a = to_tensor(input)
    b = to_tensor(other, like=(a,))
    _needs_float("logaddexp", a, b)
    return LogAddExp.apply(a, b)


class XLogY(Function):
    def forward(self, x, y):
        xp = backend.get_array_module(x)
        self.x, self.y = x, y
        with np.errstate(divide="ignore", invalid="ignore"):
            out = x * xp.log(y)
        return xp.where((x == 0) & ~xp.isnan(y), xp.zeros_like(out), out)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        grad_x = grad_y = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs_input_grad[0]:  # PyTorch's xlogy(x != 0, y): 0 where x is 0
                grad_x = grad_output * xp.where(self.x != 0, xp.log(self.y), 0.0)
            if self.needs_input_grad[1]:
                grad_y = grad_output * self.x / self.y
        return grad_x, grad_y


def xlogy(input: Any, other: Any) -> Tensor:
    """input · log(other), 0 where input is 0 (unless other is NaN); either may be a number."""
    like = tuple(t for t in (input, other) if isinstance(t, Tensor))
    x = _floating(to_tensor(input, like=like))
    return XLogY.apply(x, _floating(to_tensor(other, like=(x,))))


class Hypot(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = backend.get_array_module(a).hypot(a, b)
        return self.out

    def backward(self, grad_output):
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = grad_output / self.out
        return scale * self.a, scale * self.b


def hypot(input: Any, other: Any) -> Tensor:
    """sqrt(input² + other²) without overflow (floating tensors, as PyTorch)."""
    a = to_tensor(input)
    b = to_tensor(other, like=(a,))
    _needs_float("hypot", a, b)
    return Hypot.apply(a, b)


def deg2rad(input: Any) -> Tensor:
    """Degrees to radians (integers give the default float dtype)."""
    return mul(_floating(input), math.pi / 180.0)


def rad2deg(input: Any) -> Tensor:
    """Radians to degrees (integers give the default float dtype)."""
    return mul(_floating(input), 180.0 / math.pi)
