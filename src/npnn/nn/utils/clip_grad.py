"""Clip gradients in place, by their global norm or by value."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from npnn import backend
from npnn._tensor import Tensor


def _with_grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def _vector_norm(xp: Any, values: Any, norm_type: float) -> Any:
    """The p-norm of all elements, computed in their dtype (as torch.linalg.vector_norm)."""
    if values.size == 0:
        return values.dtype.type(0)
    if norm_type == 2.0:
        return xp.sqrt(xp.vdot(values, values))  # one BLAS dot: no squared copy
    if math.isinf(norm_type):
        # xp.maximum, not Python's max: a NaN must propagate wherever it is
        return xp.maximum(values.max(), -values.min())
    if norm_type == 1.0:
        return xp.abs(values).sum()
    return (xp.abs(values) ** norm_type).sum() ** (1.0 / norm_type)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients so that their joint norm is at most max_norm; return the norm before.

    As PyTorch: the norm of each gradient in its dtype, then the norm of those norms.
    """
    params = _with_grads(parameters)
    if not params:
        return Tensor(0.0)
    grads = [p.grad.array for p in params]
    xp = backend.get_array_module(grads[0])
    norm_type = float(norm_type)
    norms = xp.stack([xp.asarray(_vector_norm(xp, grad, norm_type)) for grad in grads])
    total_array = _vector_norm(xp, norms, norm_type)
    total = float(total_array)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is non-finite ({total}); "
            "set error_if_nonfinite=False to clip anyway"
        )
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1.0:
        for grad in grads:
            grad *= grad.dtype.type(coefficient)
    return Tensor(xp.asarray(total_array, dtype=params[0].dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value]."""
    for p in _with_grads(parameters):
        grad = p.grad.array
        backend.get_array_module(grad).clip(grad, -clip_value, clip_value, out=grad)
