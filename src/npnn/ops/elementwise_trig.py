"""Elementwise ops PyTorch users reach for that npnn lacked: sin/cos/tan, floor/ceil/round,
rsqrt/reciprocal, addcmul/addcdiv and the NaN/inf tests (isnan, isinf, isfinite, ...).

Integer inputs of the float-valued ops are computed in the default float dtype, as PyTorch's
(torch.sin(int tensor) is float32). The tests return bool tensors outside the graph.
"""

from __future__ import annotations

from typing import Any

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.elementwise import cast
from npnn.ops.elementwise_more import _Flat


def _floating(input: Any) -> Tensor:
    """`input` as a Tensor of a float dtype (integers and bools become the default float dtype)."""
    tensor = to_tensor(input)
    return tensor if tensor.dtype.kind == "f" else cast(tensor, backend.get_default_dtype())


class Sin(Function):
    def forward(self, a):
        self.a = a
        return backend.get_array_module(a).sin(a)

    def backward(self, grad_output):
        return grad_output * backend.get_array_module(self.a).cos(self.a)


class Cos(Function):
    def forward(self, a):
        self.a = a
        return backend.get_array_module(a).cos(a)

    def backward(self, grad_output):
        return -grad_output * backend.get_array_module(self.a).sin(self.a)


class Tan(Function):
    def forward(self, a):
        self.out = backend.get_array_module(a).tan(a)
        return self.out

    def backward(self, grad_output):
        return grad_output * (1 + self.out * self.out)


class Reciprocal(Function):
    def forward(self, a):
        self.out = 1 / a
        return self.out

    def backward(self, grad_output):
        return -grad_output * self.out * self.out


class Rsqrt(Function):
    def forward(self, a):
        self.out = 1 / backend.get_array_module(a).sqrt(a)
        return self.out

    def backward(self, grad_output):
        return -0.5 * grad_output * self.out * self.out * self.out


class _Rounding(_Flat):
    """floor/ceil/round: integer tensors pass through unchanged, as PyTorch's."""

    how = "floor"

    def forward(self, a, decimals=0):
        if a.dtype.kind != "f":
            return a.copy()
        xp = backend.get_array_module(a)
        if self.how == "round":
            return xp.round(a, decimals)  # half to even, as PyTorch
        return getattr(xp, self.how)(a)


class Floor(_Rounding):
    how = "floor"


class Ceil(_Rounding):
    how = "ceil"


class Round(_Rounding):
    how = "round"


def sin(input: Any) -> Tensor:
    """Sine; d/dx = cos(x)."""
    return Sin.apply(_floating(input))


def cos(input: Any) -> Tensor:
    """Cosine; d/dx = -sin(x)."""
    return Cos.apply(_floating(input))


def tan(input: Any) -> Tensor:
    """Tangent; d/dx = 1 + tan(x)^2."""
    return Tan.apply(_floating(input))


def reciprocal(input: Any) -> Tensor:
    """1 / input; d/dx = -1 / x^2."""
    return Reciprocal.apply(_floating(input))


def rsqrt(input: Any) -> Tensor:
    """1 / sqrt(input); d/dx = -x^(-3/2) / 2."""
    return Rsqrt.apply(_floating(input))


def floor(input: Any) -> Tensor:
    """Round down (gradient 0)."""
    return Floor.apply(input)


def ceil(input: Any) -> Tensor:
    """Round up (gradient 0)."""
    return Ceil.apply(input)


def round(input: Any, *, decimals: int = 0) -> Tensor:
    """Round half to even to `decimals` places, as torch.round (gradient 0)."""
    return Round.apply(input, decimals=decimals)


def addcmul(input: Any, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
    """input + value * tensor1 * tensor2, broadcast."""
    return input + value * (tensor1 * tensor2) if value != 1 else input + tensor1 * tensor2


def addcdiv(input: Any, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
    """input + value * tensor1 / tensor2, broadcast. Integer tensor1 and tensor2 are refused, as
    PyTorch's (use true division: tensor1.float())."""
    t1, t2 = to_tensor(tensor1), to_tensor(tensor2)
    if t1.dtype.kind in "biu" and t2.dtype.kind in "biu":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future "
                           "release addcdiv will perform a true division of tensor1 and tensor2. "
                           "Use (input + value * tensor1 / tensor2) or float tensors instead.")
    return input + value * (t1 / t2) if value != 1 else input + t1 / t2


def _test(input: Any, how: str) -> Tensor:
    array = to_tensor(input).array
    xp = backend.get_array_module(array)
    if array.dtype.kind != "f":
        return Tensor._from_op(xp.full(array.shape, how in ("isfinite", "isreal")), None)
    return Tensor._from_op(getattr(xp, how)(array), None)


def isnan(input: Any) -> Tensor:
    """True where input is NaN (a bool tensor)."""
    return _test(input, "isnan")


def isinf(input: Any) -> Tensor:
    """True where input is +inf or -inf."""
    return _test(input, "isinf")


def isfinite(input: Any) -> Tensor:
    """True where input is neither NaN nor infinite."""
    return _test(input, "isfinite")


def isposinf(input: Any) -> Tensor:
    """True where input is +inf."""
    return _test(input, "isposinf")


def isneginf(input: Any) -> Tensor:
    """True where input is -inf."""
    return _test(input, "isneginf")


def isreal(input: Any) -> Tensor:
    """True everywhere: npnn has no complex tensors."""
    return _test(input, "isreal")
