"""Clip gradients in place, by their global norm or by value."""

from __future__ import annotations

import math
from collections.abc import Iterable

from npnn import backend
from npnn.tensor import Tensor


def _with_grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients so that their joint norm is at most max_norm; return the norm before."""
    params = _with_grads(parameters)
    if not params:
        return Tensor(0.0)
    xp = backend.get_array_module(params[0].grad)
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        # xp.max, not Python's max: a NaN must propagate whatever parameter it is in
        total = float(xp.max(xp.stack([xp.abs(p.grad).max() for p in params])))
    else:
        total = float(sum(float((xp.abs(p.grad.astype("float64")) ** norm_type).sum())
                          for p in params)) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is non-finite ({total}); "
            "set error_if_nonfinite=False to clip anyway"
        )
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1.0:
        for p in params:
            p.grad *= p.grad.dtype.type(coefficient)
    return Tensor(xp.asarray(total, dtype=params[0].dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value]."""
    for p in _with_grads(parameters):
        backend.get_array_module(p.grad).clip(p.grad, -clip_value, clip_value, out=p.grad)
