"""The differentiable functions of torch.special that npnn lacked: expm1, exp2, logit, sinc,
xlog1py, entr and ndtr (the normal CDF). npnn.special gathers them with the ones npnn has."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.elementwise import log, log1p, mul
from npnn.ops.elementwise_more import erfc
from npnn.ops.elementwise_trig import _floating
from npnn.ops.selection import clamp, where


class Expm1(Function):
    def forward(self, a):
        self.out = backend.get_array_module(a).expm1(a)
        return self.out

    def backward(self, grad_output):
        return grad_output * (self.out + 1)


class Sinc(Function):
    def forward(self, a):
        self.a = a
        return backend.get_array_module(a).sinc(a)

    def backward(self, grad_output):
        xp = backend.get_array_module(self.a)
        a = self.a
        safe = xp.where(a == 0, a.dtype.type(1), a)
        slope = (xp.cos(math.pi * safe) - xp.sinc(safe)) / safe  # d/dx sin(pi x)/(pi x)
        return grad_output * xp.where(a == 0, a.dtype.type(0), slope)


class Entr(Function):
    def forward(self, a):
        self.a = a
        xp = backend.get_array_module(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = -a * xp.log(xp.where(a > 0, a, a.dtype.type(1)))
        return xp.where(a < 0, a.dtype.type(-np.inf), xp.where(xp.isnan(a), a, out))

    def backward(self, grad_output):
        with np.errstate(divide="ignore"):
            return -grad_output * (backend.get_array_module(self.a).log(self.a) + 1)


def expm1(input: Any) -> Tensor:
    """exp(input) - 1, accurate near 0."""
    return Expm1.apply(_floating(input))


def exp2(input: Any) -> Tensor:
    """2 ** input."""
    tensor = _floating(input)
    return Tensor._from_op(np.float64(2.0), None).to(tensor.dtype) ** tensor


def logit(input: Any, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)), p clamped to [eps, 1 - eps] when `eps` is given (gradient 0 outside)."""
    p = _floating(input)
    if eps is not None:
        p = clamp(p, eps, 1 - eps)
    return log(p) - log1p(-p)


def sinc(input: Any) -> Tensor:
    """sin(pi x) / (pi x), 1 at 0 (the normalized sinc, as torch.sinc)."""
    return Sinc.apply(_floating(input))


def xlog1py(input: Any, other: Any) -> Tensor:
    """input * log1p(other), 0 where input is 0 (unless other is NaN), as torch.special.xlog1py."""
    x, y = to_tensor(input), to_tensor(other)
    product = mul(x, log1p(_floating(y)))
    keep = (x.array != 0) | backend.get_array_module(y.array).isnan(y.array)
    return where(Tensor._from_op(keep, None), product, 0.0)


def entr(input: Any) -> Tensor:
    """-x ln x elementwise: 0 at 0, -inf for negative x."""
    return Entr.apply(_floating(input))


def ndtr(input: Any) -> Tensor:
    """The standard normal CDF, erfc(-x / sqrt 2) / 2."""
    return erfc(_floating(input) * (-1 / math.sqrt(2))) * 0.5
