"""Loss primitives: fused cross-entropy/NLL over a target distribution, BCE, BCE with logits.

Class-index targets, probability targets, class weights, `ignore_index` and label
smoothing all reduce to one dense target distribution q: loss_i = -Σ_c q_ic · logp_ic.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.activation import log_softmax_array, sigmoid_array
from npnn.ops.elementwise import abs as abs_
from npnn.ops.elementwise import cast
from npnn.ops.reduction import mean, sum
from npnn.ops.shape import permute, reshape

REDUCTIONS = ("mean", "sum", "none")


class CrossEntropy(Function):
    """Per-row -Σ_c q_ic · log p_ic with p = softmax(x) (or p = exp(x) for log-probabilities).

    q is a constant: a dense target distribution, or, for plain class-index targets, the
    one-hot rows given by `index` (no dense q is built). With reduction 'sum' or 'mean' the
    rows are summed, and divided by `divisor` for 'mean', in this same node.
    """

    def forward(self, logits, q=None, index=None, from_log_probs=False, reduction="none",
                divisor=1):
        xp = backend.get_array_module(logits)
        self.log_probs = logits if from_log_probs else log_softmax_array(logits, 1)
        self.q, self.index, self.from_log_probs = q, index, from_log_probs
        self.reduction = reduction
        self.divisor = logits.dtype.type(divisor) if reduction == "mean" else None
        if index is not None:
            losses = -self.log_probs[xp.arange(index.shape[0]), index]
        else:
            losses = -(q * self.log_probs).sum(axis=1)
        if reduction == "none":
            return losses
        total = losses.sum()
        return total if self.divisor is None else _mean(total, self.divisor)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        if self.reduction == "none":
            scale = grad_output[:, None]
        else:
            scale = grad_output if self.divisor is None else _mean(grad_output, self.divisor)
        if self.index is not None:
            rows = xp.arange(self.index.shape[0])
            if self.from_log_probs:
                grad = xp.zeros_like(self.log_probs)
                grad[rows, self.index] = -1
            else:
                grad = xp.exp(self.log_probs)
                grad[rows, self.index] -= 1
            return grad * scale
        if self.from_log_probs:
            return -scale * self.q
        probs = xp.exp(self.log_probs)
        return scale * (probs * self.q.sum(axis=1, keepdims=True) - self.q)


def _mean(value: Any, divisor: Any) -> Any:
    """value / divisor; a divisor of 0 (an empty batch, or every target ignored) gives nan
    without a warning, as PyTorch."""
    if divisor:
        return value / divisor
    with np.errstate(divide="ignore", invalid="ignore"):
        return value / divisor


def _plain_indices(target: Any, classes: int, ignore_index: int) -> bool:
    """True when every target is a class index in range and none is ignored."""
    kind = target.dtype.kind
    if kind not in "iu" or target.size == 0:
        return False
    # one reduction instead of min and max: seen as unsigned, a negative index is huge
    unsigned = target.view(target.dtype.str.replace("i", "u")) if kind == "i" else target
    if int(unsigned.max()) >= classes:
        return False  # ignored or out of range: the general path handles (or reports) it
    return not (0 <= ignore_index < classes and bool((target == ignore_index).any()))


def _target_distribution(target: Any, num_classes: int, dtype: Any, weight: Any,
                         ignore_index: int, label_smoothing: float) -> tuple[Any, Any]:
    """Dense q (N, C) and the 'mean' divisor for class-index or probability targets."""
    xp = backend.get_array_module(target)
    class_weight = xp.ones(num_classes, dtype=dtype) if weight is None else weight.astype(dtype)
    smooth = label_smoothing / num_classes
    if target.dtype.kind == "f":
        q = (1.0 - label_smoothing) * target.astype(dtype) + smooth
        return q * class_weight, target.shape[0]
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"targets must be class indices (integer) or probabilities (float), got {target.dtype}"
        )
    valid = target != ignore_index
    safe = xp.where(valid, target, 0)
    if safe.size and (safe.min() < 0 or safe.max() >= num_classes):
        bad = safe[(safe < 0) | (safe >= num_classes)][0]
        raise IndexError(f"target {int(bad)} is out of bounds for {num_classes} classes")
    rows = xp.arange(target.shape[0])
    q = xp.zeros((target.shape[0], num_classes), dtype=dtype)
    q[rows, safe] = (1.0 - label_smoothing) * class_weight[safe]
    if label_smoothing:
        q += smooth * class_weight
    q *= valid[:, None]
    return q, (class_weight[safe] * valid).sum()


def _smoothed_one_hot(target: Any, num_classes: int, dtype: Any, label_smoothing: float) -> Any:
    """(1 - ε)·one_hot + ε/C for plain class indices (no weights, none ignored).

    The same values, rounding included, as `_target_distribution` gives them, in three array
    operations instead of about a dozen: label smoothing is on in the default training run.
    """
    xp = backend.get_array_module(target)
    dtype = np.dtype(dtype)
    smooth = dtype.type(label_smoothing / num_classes)
    q = xp.full((target.shape[0], num_classes), smooth, dtype=dtype)
    q[xp.arange(target.shape[0]), target] = dtype.type(1.0 - label_smoothing) + smooth
    return q


def _as_rows(input: Tensor, target: Tensor, op: str) -> tuple[Tensor, Any, tuple[int, ...]]:
    """Bring (C,), (N, C) or (N, C, d1, …) inputs to rows (M, C); keep the per-sample shape."""
    data = target.array
    probabilities = data.dtype.kind == "f"
    shape = input.array.shape
    if not shape:
        raise ValueError(f"{op}: input needs a class dimension, got a 0-d tensor")
    sample_shape = (shape[0], *shape[2:]) if len(shape) > 1 else ()
    expected = shape if probabilities else sample_shape
    if data.shape != expected:
        kind = "probability" if probabilities else "class-index"
        raise ValueError(
            f"{op}: input of shape {shape} needs {kind} targets of shape {expected}, "
            f"got {data.shape}"
        )
    if len(shape) == 2:  # already rows: the usual (N, C) batch needs no reshaping
        return input, data, sample_shape
    classes = shape[0] if len(shape) == 1 else shape[1]
    if len(shape) > 2:
        dims = (0, *range(2, input.ndim), 1)
        input = permute(input, *dims)
        data = data.transpose(dims) if probabilities else data
    rows = reshape(input, -1, classes)
    data = data.reshape(-1, classes) if probabilities else data.reshape(-1)
    return rows, data, sample_shape


def _class_loss(input: Any, target: Any, weight: Any, ignore_index: int, reduction: str,
                label_smoothing: float, from_log_probs: bool, op: str) -> Tensor:
    _check_reduction(reduction, op)
    input, target = to_tensor(input), to_tensor(target)
    rows, rows_target, sample_shape = _as_rows(input, target, op)
    count, classes = rows.shape
    plain = weight is None and _plain_indices(rows_target, classes, ignore_index)
    if plain and not label_smoothing:
        targets: dict[str, Any] = {"index": rows_target, "divisor": count}
    elif plain:
        targets = {"q": _smoothed_one_hot(rows_target, classes, rows.dtype, label_smoothing),
                   "divisor": count}
    else:
        weight_data = None if weight is None else to_tensor(weight).array
        q, divisor = _target_distribution(rows_target, classes, rows.dtype, weight_data,
                                          ignore_index, label_smoothing)
        targets = {"q": q, "divisor": divisor}
    losses = CrossEntropy.apply(rows, from_log_probs=from_log_probs, reduction=reduction, **targets)
    return reshape(losses, *sample_shape) if reduction == "none" else losses


def cross_entropy(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy from logits (fused log_softmax + NLL), as torch.nn.functional.cross_entropy.

    Targets are class indices (N,) or probabilities (N, C). Differs from PyTorch: no
    gradient flows into probability targets.
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    return _class_loss(input, target, weight, ignore_index, reduction, label_smoothing,
                       from_log_probs=False, op="cross_entropy")


def nll_loss(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class-index targets, given log-probabilities (N, C)."""
    target = to_tensor(target)
    if target.dtype.kind not in "iu":
        raise TypeError(f"nll_loss needs integer class-index targets, got dtype {target.dtype}")
    return _class_loss(input, target, weight, ignore_index, reduction, 0.0,
                       from_log_probs=True, op="nll_loss")


def smoothed_nll_loss(input: Any, target: Any, label_smoothing: float = 0.0,
                      reduction: str = "mean") -> Tensor:
    """npnn only: cross_entropy's label smoothing for input that is already log-probabilities.

    A model ending in LogSoftmax would otherwise take log_softmax twice per step through
    cross_entropy (the same value: log_softmax of log-probabilities is themselves). PyTorch's
    nll_loss has no `label_smoothing`; with 0 this is nll_loss.
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    target = to_tensor(target)
    if target.dtype.kind not in "iu":
        raise TypeError(f"smoothed_nll_loss needs integer class-index targets, got dtype {target.dtype}")
    return _class_loss(input, target, None, -100, reduction, label_smoothing,
                       from_log_probs=True, op="smoothed_nll_loss")


class BinaryCrossEntropy(Function):
    def forward(self, probs, target=None):
        xp = backend.get_array_module(probs)
        self.probs, self.target = probs, target
        # PyTorch clamps the logs at -100 so that p = 0 or 1 gives a finite loss
        with np.errstate(divide="ignore"):
            log_p = xp.maximum(xp.log(probs), -100)
            log_not_p = xp.maximum(xp.log1p(-probs), -100)
        return -(target * log_p + (1 - target) * log_not_p)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        p, t = self.probs, self.target
        return grad_output * (p - t) / xp.maximum((1 - p) * p, 1e-12)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Tensor:
    """-(t·log p + (1-t)·log(1-p)) for probabilities p in [0, 1]."""
    _check_reduction(reduction, "binary_cross_entropy")
    input, target = to_tensor(input), to_tensor(target)
    _check_same_shape(input, target, "binary_cross_entropy")
    data = input.array
    if data.size and (data.min() < 0 or data.max() > 1):
        raise ValueError("binary_cross_entropy: input must be probabilities in [0, 1]; "
                         "for logits use binary_cross_entropy_with_logits")
    losses = BinaryCrossEntropy.apply(input, target=target.array.astype(input.dtype))
    return _weighted_reduce(losses, weight, reduction)


class BinaryCrossEntropyWithLogits(Function):
    def forward(self, logits, target=None, pos_weight=None):
        xp = backend.get_array_module(logits)
        self.logits, self.target, self.pos_weight = logits, target, pos_weight
        # log(1 + exp(-x)) without overflow
        softplus_neg = xp.log1p(xp.exp(-xp.abs(logits))) + xp.maximum(-logits, 0)
        if pos_weight is None:
            return (1 - target) * logits + softplus_neg
        return (1 - target) * logits + (1 + (pos_weight - 1) * target) * softplus_neg

    def backward(self, grad_output):
        t = self.target
        sig = sigmoid_array(self.logits)
        if self.pos_weight is None:
            return grad_output * (sig - t)
        return grad_output * ((1 - t) + (1 + (self.pos_weight - 1) * t) * (sig - 1))


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """Sigmoid + binary cross-entropy, fused and stable for large |logits|."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    input, target = to_tensor(input), to_tensor(target)
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    pw = None if pos_weight is None else to_tensor(pos_weight).array.astype(input.dtype)
    losses = BinaryCrossEntropyWithLogits.apply(
        input, target=target.array.astype(input.dtype), pos_weight=pw
    )
    return _weighted_reduce(losses, weight, reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error |x - y|."""
    _check_reduction(reduction, "l1_loss")
    input, target = to_tensor(input), to_tensor(target)
    _check_same_shape(input, target, "l1_loss")
    return _weighted_reduce(abs_(input - target), None, reduction)


def _weighted_reduce(losses: Tensor, weight: Any, reduction: str) -> Tensor:
    if weight is not None:
        # a float64 weight must not upcast a float32 loss (PyTorch keeps the input's dtype)
        losses = losses * cast(to_tensor(weight, like=(losses,)), losses.dtype)
    if reduction == "none":
        return losses
    return sum(losses) if reduction == "sum" else mean(losses)


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _check_same_shape(input: Tensor, target: Tensor, op: str) -> None:
    """Differs from PyTorch, which warns and broadcasts: a shape mismatch is almost always a bug."""
    if input.shape != target.shape:
        raise ValueError(
            f"{op}: input shape {input.shape} and target shape {target.shape} differ; "
            "reshape one of them (e.g. target.reshape(input.shape))"
        )
