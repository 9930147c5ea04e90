"""Activation primitives: relu, leaky_relu, elu, gelu, sigmoid, tanh, softmax, log_softmax."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from npnn import backend, parallel
from npnn._tensor import Tensor
from npnn.autograd.function import Function
from npnn.ops import special
from npnn.ops.selection import pass_where


class ReLU(Function):
    """On NumPy, large arrays are split over threads (npnn.parallel): ReLU is a pass over
    memory that one core cannot saturate, and the layers around it (convolutions) run on all."""

    def forward(self, a):
        xp = backend.get_array_module(a)
        zero = a.dtype.type(0)  # a scalar: on NumPy 2.4 as fast as a row of zeros, and any layout
        if xp is not np or a.ndim == 0:
            self.positive = a > 0
            return xp.maximum(a, zero)
        result, self.positive = np.empty_like(a), np.empty_like(a, dtype=bool)  # in the layout of `a`

        def rows(part: slice) -> None:
            np.greater(a[part], zero, out=self.positive[part])
            np.maximum(a[part], zero, out=result[part])

        parallel.over_rows(rows, a.shape[0], a.size)
        return result

    def backward(self, grad_output):
        # multiplied by the mask (a selection is 7x slower in NumPy): differs from PyTorch in that
        # an inf or NaN gradient arriving at x <= 0 gives NaN there, where PyTorch's gives 0
        if backend.get_array_module(grad_output) is not np or grad_output.ndim == 0:
            return grad_output * self.positive
        result = np.empty_like(grad_output)
        parallel.over_rows(lambda part: np.multiply(grad_output[part], self.positive[part], out=result[part]),
                           grad_output.shape[0], grad_output.size)
        return result


def relu(input: Any) -> Tensor:
    """max(x, 0); the gradient at 0 is 0."""
    return ReLU.apply(input)


class SelectingReLU(ReLU):
    """ReLU whose backward selects the gradient, as PyTorch's, also where an inf or NaN reaches
    x <= 0 (the layer's ReLU multiplies, which is faster): for LP pooling's root, whose slope is
    infinite at a window of zeros."""

    def backward(self, grad_output):
        return pass_where(grad_output, self.positive)


class LeakyReLU(Function):
    def forward(self, a, negative_slope=0.01):
        xp = backend.get_array_module(a)
        self.slope = xp.where(a > 0, a.dtype.type(1), a.dtype.type(negative_slope))
        return a * self.slope

    def backward(self, grad_output):
        return grad_output * self.slope


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, negative_slope · x otherwise."""
    return LeakyReLU.apply(input, negative_slope=negative_slope)


class ELU(Function):
    def forward(self, a, alpha=1.0):
        xp = backend.get_array_module(a)
        self.positive = a > 0
        self.alpha = alpha
        self.out = xp.where(self.positive, a, alpha * xp.expm1(xp.minimum(a, 0)))
        return self.out

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        return grad_output * xp.where(self.positive, 1, self.out + self.alpha)


def elu(input: Any, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha · (exp(x) - 1) otherwise."""
    return ELU.apply(input, alpha=alpha)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


def _standard_normal_cdf(x: Any) -> Any:
    """Φ(x) = erfc(-x/√2) / 2, accurate in both tails (1 + erf(x/√2) would cancel for x << 0)."""
    xp = backend.get_array_module(x)
    if xp is np:
        return 0.5 * special.erfc(x * -math.sqrt(0.5))
    return 0.5 * backend.cupyx_special().erfc(x * -math.sqrt(0.5))


class GELU(Function):
    def forward(self, a, approximate="none"):
        xp = backend.get_array_module(a)
        self.a, self.approximate = a, approximate
        if approximate == "tanh":
            square = a * a
            self.square = square
            self.tanh_inner = xp.tanh(_SQRT_2_OVER_PI * (a + _GELU_CUBIC * (square * a)))
            return 0.5 * a * (1.0 + self.tanh_inner)
        self.cdf = _standard_normal_cdf(a)
        return a * self.cdf

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        a = self.a
        if self.approximate == "tanh":
            t = self.tanh_inner
            d_inner = _SQRT_2_OVER_PI * (1.0 + 3 * _GELU_CUBIC * self.square)
            return grad_output * (0.5 * (1.0 + t) + 0.5 * a * (1.0 - t * t) * d_inner)
        pdf = xp.exp(-0.5 * a * a) * (1 / math.sqrt(2.0 * math.pi))
        return grad_output * (self.cdf + a * pdf)


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """x · Φ(x) (exact, via a vectorised erfc) or its tanh approximation with approximate='tanh'.

    Both are vectorised; on CPU the exact form (a float64 erfc, see `npnn.ops.special`) takes
    about 4-5 times as long as the tanh form.
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(input, approximate=approximate)


def sigmoid_array(a: Any) -> Any:
    """1 / (1 + exp(-a)) on an array, without overflow for large |a|."""
    xp = backend.get_array_module(a)
    # exp(-|x|) never overflows; pick the stable form for each sign
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1 / (1 + e), e / (1 + e))


class Sigmoid(Function):
    def forward(self, a):
        self.out = sigmoid_array(a)
        return self.out

    def backward(self, grad_output):
        return grad_output * self.out * (1 - self.out)


def sigmoid(input: Any) -> Tensor:
    """1 / (1 + exp(-x)), computed without overflow."""
    return Sigmoid.apply(input)


class Softplus(Function):
    def forward(self, a, beta=1.0, threshold=20.0):
        xp = backend.get_array_module(a)
        scaled = a * beta
        self.linear = scaled > threshold  # where softplus(x) == x to the dtype's precision
        self.scaled = scaled
        # log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)), which never overflows
        soft = (xp.maximum(scaled, 0) + xp.log1p(xp.exp(-xp.abs(scaled)))) / beta
        return xp.where(self.linear, a, soft)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        return grad_output * xp.where(self.linear, 1, sigmoid_array(self.scaled))


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta · x)) / beta, and x itself where beta · x > threshold (as PyTorch)."""
    return Softplus.apply(input, beta=beta, threshold=threshold)


class Tanh(Function):
    def forward(self, a):
        self.out = backend.get_array_module(a).tanh(a)
        return self.out

    def backward(self, grad_output):
        return grad_output * (1 - self.out * self.out)


def tanh(input: Any) -> Tensor:
    """Hyperbolic tangent; d/dx = 1 - tanh²."""
    return Tanh.apply(input)


def _shifted(a, dim):
    if a.size == 0:  # nothing to shift (and max of nothing is undefined)
        return a
    # subtract the max for stability: exp never overflows
    return a - a.max(axis=dim, keepdims=True)


class Softmax(Function):
    def forward(self, a, dim=-1):
        xp = backend.get_array_module(a)
        self.dim = dim
        e = xp.exp(_shifted(a, dim))
        self.out = e / e.sum(axis=dim, keepdims=True)
        return self.out

    def backward(self, grad_output):
        inner = (grad_output * self.out).sum(axis=self.dim, keepdims=True)
        return self.out * (grad_output - inner)


def softmax(input: Any, dim: int | None = None) -> Tensor:
    """exp(x) / Σ exp(x) over `dim`."""
    return Softmax.apply(input, dim=_softmax_dim(input, dim))


def log_softmax_array(a: Any, dim: int) -> Any:
    """a - log Σ exp(a) over `dim` on an array, stable for large |a|."""
    if a.size == 0:  # nothing to normalize (and log of an empty sum would warn)
        return a.copy()
    xp = backend.get_array_module(a)
    shifted = _shifted(a, dim)
    return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))


class LogSoftmax(Function):
    def forward(self, a, dim=-1):
        self.dim = dim
        self.out = log_softmax_array(a, dim)
        return self.out

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        return grad_output - xp.exp(self.out) * grad_output.sum(axis=self.dim, keepdims=True)


def log_softmax(input: Any, dim: int | None = None) -> Tensor:
    """x - log Σ exp(x) over `dim`, fused for stability (logits of ±1e4 stay finite)."""
    return LogSoftmax.apply(input, dim=_softmax_dim(input, dim))


def _softmax_dim(input: Any, dim: int | None) -> int:
    if dim is not None:
        return dim
    ndim = input.ndim if isinstance(input, Tensor) else np.ndim(input)
    # PyTorch's legacy implicit choice; it warns, we document it
    return 0 if ndim in (0, 1, 3) else 1
