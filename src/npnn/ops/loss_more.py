"""Regression and divergence losses: smooth L1, Huber, and the Kullback-Leibler divergence."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.loss import _check_reduction, _check_same_shape, _weighted_reduce, l1_loss
from npnn.ops.reduction import sum

KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


class Huber(Function):
    """Per element, d = x - y: quadratic below `delta`, linear above. smooth L1 is Huber / delta
    (`smooth=True`), computed in its own form so the values round as PyTorch's do."""

    def forward(self, input, target, delta=1.0, smooth=False):
        xp = backend.get_array_module(input)
        self.diff, self.delta, self.smooth = input - target, delta, smooth
        size = xp.abs(self.diff)
        if smooth:
            return xp.where(size < delta, 0.5 * self.diff * self.diff / delta, size - 0.5 * delta)
        return xp.where(size < delta, 0.5 * self.diff * self.diff, delta * (size - 0.5 * delta))

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        bound = 1.0 if self.smooth else self.delta
        inner = self.diff / self.delta if self.smooth else self.diff
        slope = xp.where(self.diff < -self.delta, -bound, xp.where(self.diff > self.delta, bound, inner))
        grad = grad_output * slope.astype(grad_output.dtype, copy=False)
        return grad, -grad


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 · d² / beta where |d| < beta, else |d| - 0.5 · beta (d = input - target); beta=0 is L1."""
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    input, target = to_tensor(input), to_tensor(target)
    _check_same_shape(input, target, "smooth_l1_loss")
    return _weighted_reduce(Huber.apply(input, target, delta=beta, smooth=True), None, reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 · d² where |d| < delta, else delta · (|d| - 0.5 · delta) (d = input - target)."""
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    input, target = to_tensor(input), to_tensor(target)
    _check_same_shape(input, target, "huber_loss")
    return _weighted_reduce(Huber.apply(input, target, delta=delta), None, reduction)


class KLDiv(Function):
    """Per element target · (log target - input), 0 where target is 0; with `log_target` the
    target is log q and the term is exp(t) · (t - input)."""

    def forward(self, input, target, log_target=False):
        xp = backend.get_array_module(input)
        self.input, self.target, self.log_target = input, target, log_target
        if log_target:
            self.q = xp.exp(target)
            return self.q * (target - input)
        # xlogy: 0 · log 0 counts as 0; a negative target gives nan, as PyTorch's
        zero = target == 0
        with np.errstate(invalid="ignore"):
            log_q = xp.log(xp.where(zero, 1, target))
        return xp.where(zero, 0, target * log_q) - target * input

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        if self.log_target:
            return -grad_output * self.q, grad_output * self.q * (self.target - self.input + 1)
        grad_input = -grad_output * self.target
        if not self.needs_input_grad[1]:  # the usual case (distillation): a fixed target
            return grad_input, None
        # d/dq is log q + 1 - input; at q = 0 it is nan, as PyTorch's (0 / 0 there)
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_target = xp.log(self.target) + self.target / self.target - self.input
        return grad_input, grad_output * grad_target


def kl_div(input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(q ‖ p) with `input` = log p and `target` = q (or log q with log_target=True).

    reduction='batchmean' divides the sum by the batch size (input.shape[0]), the true KL
    divergence per sample; 'mean' divides by the number of elements, as PyTorch's 'mean'
    does (PyTorch warns about it; npnn does not).
    """
    if reduction not in KL_REDUCTIONS:
        raise ValueError(f"kl_div: reduction must be one of {KL_REDUCTIONS}, got {reduction!r}")
    input, target = to_tensor(input), to_tensor(target)
    _check_same_shape(input, target, "kl_div")
    losses = KLDiv.apply(input, target, log_target=log_target)
    if reduction != "batchmean":
        return _weighted_reduce(losses, None, reduction)
    total = sum(losses)
    return total / input.shape[0] if input.ndim else total
