"""clamp/clip with Tensor bounds (broadcast), with PyTorch's gradients to the input and to
each bound: the input where min <= x <= max, min where x < min < max, max where x > max or
max < min (there the result is max everywhere, as torch's min(max(x, min), max))."""

from __future__ import annotations

from typing import Any

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function


class ClampTensor(Function):
    def forward(self, a, *bounds, has_min=True, has_max=True):
        xp = backend.get_array_module(a)
        low = bounds[0] if has_min else None
        high = bounds[-1] if has_max else None
        out = a
        inside = xp.ones(a.shape, dtype=bool)
        self.masks = []
        if low is not None:
            out = xp.maximum(out, low)
            inside = inside & (a >= low)
            below = a < low
            self.masks.append(below & (low < high) if high is not None else below)
        if high is not None:
            out = xp.minimum(out, high)
            inside = inside & (a <= high)
            self.masks.append((a > high) | (high < low) if low is not None else a > high)
        self.inside = inside
        return out

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        grad = xp.broadcast_to(grad_output, self.inside.shape)
        zero = grad.dtype.type(0)  # selected, as PyTorch's: an inf gradient elsewhere stays out
        return (xp.where(self.inside, grad, zero), *(xp.where(m, grad, zero) for m in self.masks))


def clamp_tensor(input: Any, min: Any = None, max: Any = None) -> Tensor:
    """clamp(input, min, max) where a bound is a Tensor; both bounds must then be Tensors or None,
    as PyTorch's (a Number beside a Tensor is refused: write npnn.tensor(number))."""
    for bound in (min, max):
        if bound is not None and not isinstance(bound, Tensor):
            raise TypeError("clamp() received an invalid combination of arguments: min and max are "
                            "both Tensors (or None) or both Numbers; wrap the number in npnn.tensor()")
    input = to_tensor(input)
    bounds = [to_tensor(b, like=(input,)) for b in (min, max) if b is not None]
    return ClampTensor.apply(input, *bounds, has_min=min is not None, has_max=max is not None)
