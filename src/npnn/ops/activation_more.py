"""More activations with PyTorch's values and gradients at their kinks: hardtanh (relu6),
logsigmoid, celu, mish, hardswish, hardsigmoid, threshold and prelu as fused ops, and the
composites selu, softmin, softsign, tanhshrink and glu (exact as composed)."""

from __future__ import annotations

from typing import Any

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.activation import elu, sigmoid, sigmoid_array, softmax, tanh
from npnn.ops.elementwise import abs as abs_
from npnn.ops.elementwise import neg
from npnn.ops.selection import pass_where
from npnn.ops.shape import chunk, reshape

# SELU's constants (Klambauer et al. 2017), as PyTorch writes them
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class Hardtanh(Function):
    def forward(self, a, min_val=-1.0, max_val=1.0):
        xp = backend.get_array_module(a)
        self.inside = (a > min_val) & (a < max_val)  # the gradient is 0 at both bounds, as PyTorch
        return xp.clip(a, a.dtype.type(min_val), a.dtype.type(max_val))

    def backward(self, grad_output):
        return pass_where(grad_output, self.inside)


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """x clipped to [min_val, max_val]; the gradient is 1 strictly inside, else 0."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    return Hardtanh.apply(input, min_val=min_val, max_val=max_val)


def relu6(input: Any) -> Tensor:
    """min(max(x, 0), 6); the gradient at 0 and 6 is 0."""
    return hardtanh(input, 0.0, 6.0)


class LogSigmoid(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        self.a = a
        # log σ(x) = min(x, 0) - log1p(exp(-|x|)): no overflow, and no log(0) for x << 0
        return xp.minimum(a, 0) - xp.log1p(xp.exp(-xp.abs(a)))

    def backward(self, grad_output):
        return grad_output * sigmoid_array(-self.a)  # 1 - σ(x), without cancellation


def logsigmoid(input: Any) -> Tensor:
    """log(1 / (1 + exp(-x))), stable for large |x|."""
    return LogSigmoid.apply(input)


def softmin(input: Any, dim: int | None = None) -> Tensor:
    """softmax(-x) over `dim` (dim=None picks as softmax does)."""
    return softmax(neg(to_tensor(input)), dim)


def selu(input: Any) -> Tensor:
    """scale · elu(x, alpha) with SELU's fixed alpha and scale."""
    return elu(input, SELU_ALPHA) * SELU_SCALE


class CELU(Function):
    def forward(self, a, alpha=1.0):
        xp = backend.get_array_module(a)
        self.positive = a > 0
        self.alpha = alpha
        self.out = xp.where(self.positive, a, alpha * xp.expm1(xp.minimum(a, 0) / alpha))
        return self.out

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        return grad_output * xp.where(self.positive, 1, self.out / self.alpha + 1)  # exp(x / alpha)


def celu(input: Any, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha · (exp(x / alpha) - 1) otherwise."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (it divides x)")
    return CELU.apply(input, alpha=alpha)


class Mish(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        self.a = a
        softplus = xp.maximum(a, 0) + xp.log1p(xp.exp(-xp.abs(a)))  # never overflows
        self.tanh_softplus = xp.tanh(softplus)
        return a * self.tanh_softplus

    def backward(self, grad_output):
        t = self.tanh_softplus
        return grad_output * (t + self.a * (1 - t * t) * sigmoid_array(self.a))


def mish(input: Any) -> Tensor:
    """x · tanh(softplus(x)), fused: one node instead of three."""
    return Mish.apply(input)


class Hardswish(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        self.a = a
        return a * xp.clip(a + 3, 0, 6) / 6

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        a = self.a
        # PyTorch's one-sided choices at the kinks: 0 at x = -3, 1 at x = 3
        slope = xp.where(a <= -3, 0, xp.where(a < 3, a / 3 + 0.5, 1))
        return grad_output * slope.astype(grad_output.dtype, copy=False)


def hardswish(input: Any) -> Tensor:
    """x · relu6(x + 3) / 6."""
    return Hardswish.apply(input)


class Hardsigmoid(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        self.inside = (a > -3) & (a < 3)
        return xp.clip(a + 3, 0, 6) / 6

    def backward(self, grad_output):
        return grad_output * self.inside / 6


def hardsigmoid(input: Any) -> Tensor:
    """relu6(x + 3) / 6; the gradient is 1/6 strictly inside (-3, 3), else 0."""
    return Hardsigmoid.apply(input)


def softsign(input: Any) -> Tensor:
    """x / (1 + |x|)."""
    input = to_tensor(input)
    return input / (abs_(input) + 1)


def tanhshrink(input: Any) -> Tensor:
    """x - tanh(x)."""
    input = to_tensor(input)
    return input - tanh(input)


class Threshold(Function):
    def forward(self, a, threshold=0.0, value=0.0):
        xp = backend.get_array_module(a)
        self.above = a > threshold
        return xp.where(self.above, a, a.dtype.type(value))

    def backward(self, grad_output):
        return pass_where(grad_output, self.above)


def threshold(input: Any, threshold: float, value: float) -> Tensor:
    """x where x > threshold, else value (not ONNX's ThresholdedRelu, which always gives 0)."""
    return Threshold.apply(input, threshold=threshold, value=value)


def glu(input: Any, dim: int = -1) -> Tensor:
    """a · sigmoid(b), where a and b are the two halves of `input` along `dim`."""
    input = to_tensor(input)
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.ndim} "
                           f"is size {size}")
    first, second = chunk(input, 2, dim)
    return first * sigmoid(second)


def prelu(input: Any, weight: Any) -> Tensor:
    """x where x > 0, else weight · x, one weight per channel (dim 1) or one for all."""
    input, weight = to_tensor(input), to_tensor(weight)
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() not in (1, channels):
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter "
                           f"numbers = {weight.numel()} and channel size = {channels}.")
    if weight.numel() != 1:  # one slope per channel, broadcast over dim 1
        weight = reshape(weight, (channels,) + (1,) * (input.ndim - 2))
    elif weight.ndim:
        weight = reshape(weight, ())
    return PReLU.apply(input, weight)


class PReLU(Function):
    """One node (an ONNX PRelu): a comparison outside the ops would be a constant in a trace."""

    def forward(self, a, weight):
        xp = backend.get_array_module(a)
        self.slope = xp.where(a > 0, a.dtype.type(1), weight)  # d out / d a
        if self.needs_input_grad[1]:
            self.negative = xp.minimum(a, 0)  # d out / d weight
        return a * self.slope

    def backward(self, grad_output):
        grad_weight = grad_output * self.negative if self.needs_input_grad[1] else None
        return grad_output * self.slope, grad_weight  # the engine sums grad_weight over the batch
