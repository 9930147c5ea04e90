"""More elementwise math with PyTorch's names: sign, trunc, frac, fmod, lerp, erf, erfc,
true_divide and the logical ops.

sign and trunc have gradient zero (as PyTorch); the logical ops give bool tensors with no graph.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.dtypes import promote
from npnn.ops.elementwise import cast, div
from npnn.ops.special import erf as _erf
from npnn.ops.special import erfc as _erfc


class _Flat(Function):
    """An op whose derivative is zero wherever it is defined."""

    def backward(self, grad_output):
        return backend.get_array_module(grad_output).zeros_like(grad_output)


class Sign(_Flat):
    def forward(self, a):
        xp = backend.get_array_module(a)
        if a.dtype == np.bool_:
            return a.copy()
        out = xp.sign(a)
        return xp.nan_to_num(out, nan=0.0, copy=False) if a.dtype.kind == "f" else out


def sign(input: Any) -> Tensor:
    """-1, 0 or 1 by the sign of each element, 0 for NaN as PyTorch (gradient 0)."""
    return Sign.apply(input)


sgn = sign  # for real tensors torch.sgn is torch.sign


class Trunc(_Flat):
    def forward(self, a):
        return backend.get_array_module(a).trunc(a) if a.dtype.kind == "f" else a.copy()


def trunc(input: Any) -> Tensor:
    """Round toward zero (gradient 0)."""
    return Trunc.apply(input)


fix = trunc


class Frac(Function):
    def forward(self, a):
        return a - backend.get_array_module(a).trunc(a)

    def backward(self, grad_output):
        return grad_output


def frac(input: Any) -> Tensor:
    """input - trunc(input): the fractional part, with the sign of input."""
    input = to_tensor(input)
    if input.dtype.kind != "f":
        raise RuntimeError(f"\"frac_cpu\" not implemented for '{input.dtype}'")
    return Frac.apply(input)


class Fmod(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        with np.errstate(divide="ignore", invalid="ignore"):
            return backend.get_array_module(a).fmod(a, b)

    def backward(self, grad_output):
        grad_b = None
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_b = -grad_output * backend.get_array_module(grad_output).trunc(self.a / self.b)
        return grad_output, grad_b


def fmod(input: Any, other: Any) -> Tensor:
    """C's remainder: input - trunc(input / other) * other, with the sign of input."""
    a, b = to_tensor(input, like=(input, other)), to_tensor(other, like=(input, other))
    if promote([a.array, b.array])[0].dtype.kind in "biu" and bool((b.array == 0).any()):
        raise RuntimeError("ZeroDivisionError")
    return Fmod.apply(a, b)


class Lerp(Function):
    def forward(self, start, end, weight):
        self.start, self.end, self.weight = start, end, weight
        xp = backend.get_array_module(start)
        # PyTorch's two-sided form: exact at weight 0 and at weight 1
        return xp.where(xp.abs(weight) < 0.5, start + weight * (end - start),
                        end - (end - start) * (1 - weight))

    def backward(self, grad_output):
        needs = self.needs_input_grad
        return (grad_output * (1 - self.weight) if needs[0] else None,
                grad_output * self.weight if needs[1] else None,
                grad_output * (self.end - self.start) if needs[2] else None)


def lerp(input: Any, end: Any, weight: Any) -> Tensor:
    """input + weight * (end - input), with broadcasting; weight a number or a tensor."""
    start = to_tensor(input)
    end = to_tensor(end, like=(start,))
    if end.dtype != start.dtype:
        raise RuntimeError(f"expected dtype {start.dtype} for `end` but got dtype {end.dtype}")
    return Lerp.apply(start, end, to_tensor(weight, like=(start,)))


def _special(name: str, a: Any) -> Any:
    """erf/erfc: npnn's NumPy code on the CPU, cupyx.scipy.special's on the GPU."""
    if backend.get_array_module(a) is np:
        return (_erf if name == "erf" else _erfc)(a)
    return getattr(backend.cupyx_special(), name)(a)


class Erf(Function):
    def forward(self, a):
        self.a = a
        return _special("erf", a)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        return grad_output * (2.0 / math.sqrt(math.pi)) * xp.exp(-(self.a * self.a))


class Erfc(Erf):
    def forward(self, a):
        self.a = a
        return _special("erfc", a)

    def backward(self, grad_output):
        return -super().backward(grad_output)


def _floating(input: Any) -> Tensor:
    input = to_tensor(input)
    return cast(input, backend.get_default_dtype()) if input.dtype.kind in "biu" else input


def erf(input: Any) -> Tensor:
    """The error function 2/√π ∫₀ˣ exp(-t²) dt (integers give the default float dtype)."""
    return Erf.apply(_floating(input))


def erfc(input: Any) -> Tensor:
    """1 - erf(input), accurate where it is tiny."""
    return Erfc.apply(_floating(input))


def true_divide(dividend: Any, divisor: Any) -> Tensor:
    """dividend / divisor (PyTorch's alias of div)."""
    return div(dividend, divisor)


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other| elementwise, as a bool tensor (no graph)."""
    a, b = to_tensor(input), to_tensor(other, like=(input,))
    if a.dtype != b.dtype:
        raise RuntimeError(f"{a.dtype} did not match {b.dtype}")
    xp = backend.get_array_module(a.array)
    return Tensor(xp.isclose(a.array, b.array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _logical(compute: Any, *inputs: Any) -> Tensor:
    arrays = [to_tensor(x).array for x in inputs]
    xp = backend.get_array_module(*arrays)
    return Tensor(compute(xp, *(a.astype(bool, copy=False) for a in arrays)))


def logical_and(input: Any, other: Any) -> Tensor:
    """Elementwise `and` of the truth values (non-zero is true), as a bool tensor."""
    return _logical(lambda xp, a, b: xp.logical_and(a, b), input, other)


def logical_or(input: Any, other: Any) -> Tensor:
    """Elementwise `or` of the truth values, as a bool tensor."""
    return _logical(lambda xp, a, b: xp.logical_or(a, b), input, other)


def logical_xor(input: Any, other: Any) -> Tensor:
    """Elementwise `xor` of the truth values, as a bool tensor."""
    return _logical(lambda xp, a, b: xp.logical_xor(a, b), input, other)


def logical_not(input: Any) -> Tensor:
    """Elementwise `not` of the truth values, as a bool tensor."""
    return _logical(lambda xp, a: xp.logical_not(a), input)
