"""Margin and ranking losses (torch.nn.functional's names): margin ranking, hinge embedding, soft
margin, cosine embedding, multi-label soft margin, multi-label margin and multi-class margin.

Each is composed from primitives in the order PyTorch's kernels compute it, so values round as
PyTorch's do and every gradient (a hinge's is 0 below its kink, as PyTorch's `z > 0`) follows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.ops.activation import relu
from npnn.ops.activation_more import logsigmoid
from npnn.ops.elementwise import exp, log1p, sqrt
from npnn.ops.reduction import mean, sum
from npnn.ops.selection import clamp, where
from npnn.ops.shape import gather, unsqueeze

EPSILON = 1e-12  # PyTorch's cosine_embedding_loss adds it to each squared norm


def reduce(losses: Tensor, reduction: str) -> Tensor:
    """'mean', 'sum' or 'none' of per-sample losses; `reduction` is checked by the caller."""
    if reduction == "none":
        return losses
    return sum(losses) if reduction == "sum" else mean(losses)


def check_reduction(reduction: str) -> None:
    """PyTorch's error for an unknown reduction, with the values that work."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction; use 'mean', 'sum' or 'none'")


def margin_ranking_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y · (x1 - x2) + margin) with y = 1 (x1 should rank higher) or -1; broadcasts."""
    check_reduction(reduction)
    input1, input2, target = to_tensor(input1), to_tensor(input2), to_tensor(target)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape}; "
            "reshape them to one number of dimensions")
    return reduce(clamp(-target * (input1 - input2) + margin, min=0), reduction)


def hinge_embedding_loss(input: Any, target: Any, margin: float = 1.0,
                         reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (as PyTorch: both where y is neither)."""
    check_reduction(reduction)
    input, target = to_tensor(input), to_tensor(target)
    zero = input.new_zeros(())
    hinge = where((target != 1).array, clamp(margin - input, min=0), zero)
    return reduce(hinge + where((target != -1).array, input, zero), reduction)


def soft_margin_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y · x)) per element, y = ±1 (no gradient reaches the target, as PyTorch)."""
    check_reduction(reduction)
    input, target = to_tensor(input), to_tensor(target).detach()
    return reduce(log1p(exp(-input * target)), reduction)


def cosine_embedding_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, else 0.

    Rows (N, D) with targets (N,), or one pair (D,) with a 0-d target; cos adds 1e-12 to each
    squared norm, as PyTorch's.
    """
    check_reduction(reduction)
    input1, input2, target = to_tensor(input1), to_tensor(input2), to_tensor(target)
    dim = target.ndim
    if dim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.ndim != dim + 1 or input2.ndim != dim + 1:
        raise RuntimeError(
            f"{dim}D target tensor expects {dim + 1}D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}.")
    products = sum(input1 * input2, dim)
    squares1 = sum(input1 * input1, dim) + EPSILON
    squares2 = sum(input2 * input2, dim) + EPSILON
    cos = products / sqrt(squares1 * squares2)
    zero = cos.new_zeros(())
    losses = (where((target == 1).array, 1 - cos, zero)
              + where((target == -1).array, clamp(cos - margin, min=0), zero))
    return reduce(losses, reduction)


def multilabel_soft_margin_loss(input: Any, target: Any, weight: Any = None,
                                reduction: str = "mean") -> Tensor:
    """Per sample, the mean over classes (the last dim) of the binary logistic loss, weighted."""
    input, target = to_tensor(input), to_tensor(target)
    losses = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        losses = losses * to_tensor(weight, like=(losses,))
    classes = input.shape[-1] if input.ndim else 1
    losses = sum(losses, input.ndim - 1) / classes if input.ndim else losses
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not valid; use 'mean', 'sum' or 'none'")
    return reduce(losses, reduction)


def _check_samples(input: Tensor, op: str) -> tuple[int, int]:
    """(samples, classes) of an input (C,), (N, C) or 0-d, as PyTorch's margin-loss kernels take."""
    shape = input.shape
    if not (len(shape) == 0 or (len(shape) == 1 and shape[0]) or (len(shape) == 2 and shape[1])):
        raise RuntimeError(f"{op}: Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(shape)}")
    if len(shape) == 2:
        return shape[0], shape[1]
    return 1, (shape[0] if shape else 1)


def _class_indices(target: Tensor, op: str) -> Any:
    data = target.array
    if data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected scalar type Long but found {target.dtype}; "
                           "pass class indices as an integer tensor (target.long())")
    return data.astype(np.int64, copy=False)


def multilabel_margin_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Σ_j Σ_i max(0, 1 - (x[y_j] - x[i])) / C over the target classes y_j and the other classes i.

    `target` has the input's shape and lists class indices, ended by the first -1.
    """
    check_reduction(reduction)
    input, target = to_tensor(input), to_tensor(target)
    op = "multilabel_margin_loss"
    samples, classes = _check_samples(input, op)
    indices = _class_indices(target, op)
    if (input.ndim == 2 and target.shape != input.shape) or (input.ndim < 2 and (
            target.ndim > 1 or target.numel() != classes)):
        raise RuntimeError(f"{op}: inconsistent target size: {list(target.shape)} for input of "
                           f"size: {list(input.shape)}; the target needs the input's shape")
    indices = indices.reshape(samples, classes)
    xp = backend.get_array_module(indices)
    listed = xp.cumprod(indices != -1, axis=1).astype(bool)  # up to the first -1
    if bool(((indices < -1) | (indices >= classes))[listed].any()):
        raise RuntimeError(f"{op}: argument #2 'target' is out of range: class indices must be "
                           f"in [0, {classes}), with -1 to end each list")
    rows = xp.broadcast_to(xp.arange(samples)[:, None], indices.shape)
    counts = xp.zeros((samples, classes), dtype=input.array.dtype)
    xp.add.at(counts, (rows[listed], indices[listed]), 1)  # a repeated target counts each time
    pairs = counts[:, :, None] * (counts == 0)[:, None, :]
    rows_x = input.reshape(samples, classes)
    hinge = relu(1 - unsqueeze(rows_x, 2) + unsqueeze(rows_x, 1))
    losses = sum(hinge * pairs, (1, 2)) / classes
    return reduce(losses if input.ndim == 2 else losses.reshape(()), reduction)


def multi_margin_loss(input: Any, target: Any, p: int = 1, margin: float = 1.0, weight: Any = None,
                      reduction: str = "mean") -> Tensor:
    """Σ_{i≠y} w[y] · max(0, margin - x[y] + x[i])^p / C per sample (p is 1 or 2)."""
    check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError(f"only p == 1 and p == 2 supported, got p={p}")
    op = "multi_margin_loss"
    input, target = to_tensor(input), to_tensor(target)
    samples, classes = _check_samples(input, op)
    indices = _class_indices(target, op)
    if target.ndim > 1 or target.numel() != samples:
        raise RuntimeError(
            f"{op}: target tensor should be 1-D with size equal to the number of input samples "
            f"(batch size). Expected target size [{samples}], but got {list(target.shape)}. "
            f"Input has shape {list(input.shape)}.")
    if weight is not None:
        weight = to_tensor(weight)
        if weight.ndim != 1:
            raise ValueError(f"weight must be one-dimensional, got shape {weight.shape}")
        if weight.numel() != classes:
            raise RuntimeError(f"{op}: inconsistent weight size, expected {classes} but got "
                               f"{list(weight.shape)}: one weight per class")
    indices = indices.reshape(samples, 1)
    if bool(((indices < 0) | (indices >= classes)).any()):
        raise RuntimeError(f"{op}: target out of range: class indices must be in [0, {classes})")
    rows_x = input.reshape(samples, classes)
    xp = backend.get_array_module(indices)
    others = xp.arange(classes)[None, :] != indices
    hinge = relu(margin - gather(rows_x, 1, Tensor(indices)) + rows_x)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:  # a constant, as in PyTorch (no gradient for the weight)
        hinge = hinge * weight.array.astype(rows_x.array.dtype)[indices]
    losses = sum(where(others, hinge, hinge.new_zeros(())), 1) / classes
    return reduce(losses.reshape(target.shape), reduction)
