"""Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p)."""

from __future__ import annotations

from typing import Any

from npnn import backend, random
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function


class Dropout(Function):
    def forward(self, a, p=0.5, generator=None):
        rng = random.resolve(generator)
        keep = rng.random(a.shape, dtype="float32") >= p
        keep = backend.to_device(keep, backend.device_of(a))
        self.mask = keep * a.dtype.type(1.0 / (1.0 - p)) if p < 1 else keep.astype(a.dtype)
        return a * self.mask

    def backward(self, grad_output):
        return grad_output * self.mask


def dropout(input: Any, p: float = 0.5, training: bool = True,
            generator: random.Generator | None = None) -> Tensor:
    """Inverted dropout; the identity when not training or p == 0."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    input = to_tensor(input)
    if not training or p == 0.0:
        return input
    return Dropout.apply(input, p=p, generator=generator)
