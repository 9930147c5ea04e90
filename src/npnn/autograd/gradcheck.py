"""Gradient checking: analytic vector-Jacobian products against central finite differences.

A tool on Tensors, so it sits above the tensor layer: it lives in autograd by PyTorch's path
(`torch.autograd.gradcheck`), and `npnn.autograd` does not load it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from npnn._tensor import Tensor


def numerical_grad(func: Callable[..., Tensor], inputs: Sequence[Tensor], grad_output: np.ndarray,
                   index: int, eps: float = 1e-6) -> np.ndarray:
    """d<func(inputs), grad_output>/d inputs[index] by central differences (float64)."""
    target = inputs[index]
    grad = np.zeros(target.shape, dtype=np.float64)
    data = target.array
    # index the array itself: reshape(-1) of a non-contiguous array is a copy
    for i in np.ndindex(*target.shape):
        original = data[i]
        data[i] = original + eps
        plus = np.sum(func(*inputs).array * grad_output)
        data[i] = original - eps
        minus = np.sum(func(*inputs).array * grad_output)
        data[i] = original
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def gradcheck(func: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-4, seed: int = 0) -> bool:
    """Check func's backward against finite differences for every float64 input needing grad.

    Uses a random grad_output so that every element of the Jacobian is exercised.
    Raises AssertionError naming the input and the worst element when they disagree.
    """
    for t in inputs:
        if t.requires_grad and t.dtype != np.float64:
            raise TypeError(f"gradcheck needs float64 inputs, got {t.dtype}: use .double()")
    rng = np.random.default_rng(seed)
    output = func(*inputs)
    grad_output = rng.standard_normal(output.shape)
    for t in inputs:
        t.grad = None
    output.backward(grad_output)
    for index, t in enumerate(inputs):
        if not t.requires_grad:
            continue
        expected = numerical_grad(func, inputs, grad_output, index, eps)
        actual = np.zeros(t.shape) if t.grad is None else np.asarray(t.grad)
        if not np.allclose(actual, expected, atol=atol, rtol=rtol):
            worst = np.unravel_index(np.argmax(np.abs(actual - expected)), t.shape or (1,))
            raise AssertionError(
                f"gradient of input {index} (shape {t.shape}) differs from finite differences: "
                f"at {worst} analytic {_at(actual, worst)} vs numeric {_at(expected, worst)}"
            )
    return True


def _at(array: Any, index: tuple[int, ...]) -> float:
    return float(array.reshape(-1)[0]) if array.ndim == 0 else float(array[index])
