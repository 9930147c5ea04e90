"""Inverted dropout: zero each element (dropout) or each whole channel (dropout2d) with
probability p and scale the rest by 1/(1-p)."""

from __future__ import annotations

from typing import Any

from npnn import backend, random
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.inplace import in_place


class Dropout(Function):
    def forward(self, a, p=0.5, generator=None, mask_shape=None):
        rng = random.resolve(generator)
        # mask_shape broadcasts against a: (N, C, 1, 1) drops whole channels
        keep = rng.random(a.shape if mask_shape is None else mask_shape, dtype="float32") >= p
        keep = backend.to_device(keep, backend.device_of(a))
        self.mask = keep * a.dtype.type(1.0 / (1.0 - p)) if p < 1 else keep.astype(a.dtype)
        return a * self.mask

    def backward(self, grad_output):
        return grad_output * self.mask


def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False,
            generator: random.Generator | None = None) -> Tensor:
    """Inverted dropout; the identity when not training or p == 0. `inplace=True` writes the
    result into `input` (recorded in the graph as PyTorch's in-place ops are)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    input = to_tensor(input)
    if not training or p == 0.0:
        return input
    return in_place(input, Dropout.apply(input, p=p, generator=generator), inplace)


def dropout2d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator: random.Generator | None = None) -> Tensor:
    """Zero whole channels of (N, C, H, W) with probability p, scaling the rest by 1/(1-p); the
    identity when not training. A 3-D input is taken as (N, C, L), as PyTorch 2.13 does."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    input = to_tensor(input)
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d expects input of shape (N, C, H, W), got {input.shape}; "
                         "use dropout for element-wise dropout")
    if not training or p == 0.0:
        return input
    mask_shape = input.shape[:2] + (1,) * (input.ndim - 2)
    return in_place(input, Dropout.apply(input, p=p, generator=generator, mask_shape=mask_shape), inplace)
