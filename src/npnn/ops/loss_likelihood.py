"""Likelihood and triplet losses (torch.nn.functional's names): Poisson and Gaussian negative
log-likelihood, and the triplet margin loss with a p-norm or any distance function.

Composed from primitives in PyTorch's order, so values round as PyTorch's do.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real
from typing import Any

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.elementwise import exp, log
from npnn.ops.loss_margin import check_reduction, reduce
from npnn.ops.reduction import norm
from npnn.ops.selection import clamp, masked_fill, minimum
from npnn.ops.shape import unsqueeze


def poisson_nll_loss(input: Any, target: Any, log_input: bool = True, full: bool = False,
                     eps: float = 1e-8, reduction: str = "mean") -> Tensor:
    """exp(x) - y · x for log-rates x (log_input), else x - y · log(x + eps); `full` adds
    Stirling's y·log y - y + ½·log(2πy) where y > 1. Differs from PyTorch: with `full`, a
    target of 0 that requires grad gets gradient 0 where PyTorch's is NaN."""
    check_reduction(reduction)
    input = to_tensor(input)
    target = to_tensor(target, like=(input,))
    losses = exp(input) - target * input if log_input else input - target * log(input + eps)
    if full:  # Stirling's term is read at y > 1 only: elsewhere it is computed at y = 1, so
        # that no log(0) reaches the graph (PyTorch's gradient for a target of 0 is NaN; npnn's 0)
        small = (target <= 1).array
        safe = masked_fill(target, small, 1)
        stirling = safe * log(safe) - safe + 0.5 * log(2 * math.pi * safe)
        losses = losses + masked_fill(stirling, small, 0)
    return reduce(losses, reduction)


class _ClampUnderNoGrad(Function):
    """max(x, floor) whose gradient is the identity: PyTorch clamps var in place under no_grad."""

    def forward(self, input, floor=0.0):
        return backend.get_array_module(input).maximum(input, input.dtype.type(floor))

    def backward(self, grad_output):
        return grad_output


def gaussian_nll_loss(input: Any, target: Any, var: Any, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """½ · (log(max(var, eps)) + (x - y)² / max(var, eps)), plus ½·log(2π) with `full`.

    `var` has the input's shape, or one size-1 dimension where the input's is not 1, or the
    input's shape less its last dimension, or is one number (PyTorch's rules).
    """
    input, target = to_tensor(input), to_tensor(target)
    if isinstance(var, Real):
        if var < 0:
            raise ValueError("var has negative entry/entries; variances must be non-negative")
        var = input.new_full(input.shape, float(var))
    var = to_tensor(var)
    if bool((var.array < 0).any()):
        raise ValueError("var has negative entry/entries; variances must be non-negative")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = unsqueeze(var, -1)
        elif not (input.ndim == var.ndim and sum(
                v for i, v in zip(input.shape, var.shape, strict=True) if i != v) == 1):
            raise ValueError(
                f"var is of incorrect size {var.shape} for input of size {input.shape}: use the "
                "input's shape, one size-1 dimension, or the input's shape without its last dim")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not valid; use 'mean', 'sum' or 'none'")
    var = _ClampUnderNoGrad.apply(var, floor=eps)
    difference = input - target
    losses = 0.5 * (log(var) + difference**2 / var)
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return reduce(losses, reduction)


def _pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6) -> Tensor:
    """‖x1 - x2 + eps‖_p over the last dim, as PyTorch's pairwise_distance."""
    difference = x1 - x2 + eps
    return norm(difference, p, max(difference.ndim - 1, 0))


def _check_triplet_dims(anchor: Tensor, positive: Tensor, negative: Tensor) -> None:
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative "
            f"{negative.ndim}D inputs")


def _triplet(dist_pos: Tensor, dist_neg: Tensor, dist_swap: Tensor | None, margin: float,
             reduction: str) -> Tensor:
    if dist_swap is not None:
        dist_neg = minimum(dist_neg, dist_swap)
    return reduce(clamp(margin + dist_pos - dist_neg, min=0), reduction)


def triplet_margin_loss(anchor: Any, positive: Any, negative: Any, margin: float = 1.0,
                        p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d the pairwise p-norm distance over the last dim;
    `swap` uses min(d(a, n), d(p, n)) for the negative distance."""
    check_reduction(reduction)
    anchor, positive, negative = to_tensor(anchor), to_tensor(positive), to_tensor(negative)
    _check_triplet_dims(anchor, positive, negative)
    swapped = _pairwise_distance(positive, negative, p, eps) if swap else None
    return _triplet(_pairwise_distance(anchor, positive, p, eps),
                    _pairwise_distance(anchor, negative, p, eps), swapped, margin, reduction)


def triplet_margin_with_distance_loss(
        anchor: Any, positive: Any, negative: Any, *,
        distance_function: Callable[[Tensor, Tensor], Tensor] | None = None, margin: float = 1.0,
        swap: bool = False, reduction: str = "mean") -> Tensor:
    """triplet_margin_loss with any distance (default: the pairwise 2-norm); margin must be > 0."""
    check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    anchor, positive, negative = to_tensor(anchor), to_tensor(positive), to_tensor(negative)
    _check_triplet_dims(anchor, positive, negative)
    distance = distance_function if distance_function is not None else _pairwise_distance
    swapped = distance(positive, negative) if swap else None
    return _triplet(distance(anchor, positive), distance(anchor, negative), swapped, margin,
                    reduction)
