"""The connectionist temporal classification loss (torch.nn.functional.ctc_loss).

One node for the whole batch: the forward runs the alpha recursion in log space over time,
vectorized over the batch and the extended label sequence (blank, l1, blank, l2, ..., blank);
the backward runs the beta recursion and forms PyTorch's gradient from alpha + beta.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.loss_margin import check_reduction
from npnn.ops.reduction import mean, sum
from npnn.ops.shape import reshape


def _log_add3(a: Any, b: Any, c: Any) -> Any:
    """log(e^a + e^b + e^c) as PyTorch's kernel writes it: shifted by the max (0 if all -inf)."""
    xp = backend.get_array_module(a)
    top = xp.maximum(xp.maximum(a, b), c)
    top = xp.where(top == -np.inf, 0, top)
    with np.errstate(divide="ignore"):  # all three -inf: log 0 = -inf, as meant
        return xp.log(xp.exp(a - top) + xp.exp(b - top) + xp.exp(c - top)) + top


def _shift(array: Any, by: int) -> Any:
    """array moved `by` places along the last axis (right for by > 0), filled with -inf."""
    xp = backend.get_array_module(array)
    out = xp.full_like(array, -np.inf)
    if by > 0:
        out[..., by:] = array[..., :-by]
    else:
        out[..., :by] = array[..., -by:]
    return out


class CTC(Function):
    """Per-sample -log p(target | input) from log-probabilities (T, N, C) and padded targets (N, S).

    The backward is PyTorch's: exp(log_probs) - (alpha·beta summed per class) / p, which is the
    gradient with respect to the logits when `log_probs` is their log_softmax (the usual case);
    frames past an input's length get 0, as does every frame of a zeroed infinite loss.
    """

    def forward(self, log_probs, targets=None, input_lengths=None, target_lengths=None, blank=0,
                zero_infinity=False):
        xp = backend.get_array_module(log_probs)
        steps, batch, _ = log_probs.shape
        width = 2 * targets.shape[1] + 1
        labels = xp.full((batch, width), blank, dtype=np.int64)
        labels[:, 1::2] = targets
        self.valid = xp.arange(width)[None, :] < (2 * target_lengths + 1)[:, None]
        # a label may be reached from two places back when it differs from the label there
        self.skip = xp.zeros((batch, width), dtype=bool)
        self.skip[:, 3::2] = labels[:, 3::2] != labels[:, 1:-2:2]
        self.emit = log_probs[:, xp.arange(batch)[:, None], labels]  # (T, N, width)
        alpha = xp.full((steps, batch, width), -np.inf, dtype=log_probs.dtype)
        if steps:
            alpha[0, :, :2] = self.emit[0, :, :2]
            alpha[0] = xp.where(self.valid, alpha[0], -np.inf)
        for t in range(1, steps):
            previous = alpha[t - 1]
            from_skip = xp.where(self.skip, _shift(previous, 2), -np.inf)
            step = _log_add3(previous, _shift(previous, 1), from_skip) + self.emit[t]
            alpha[t] = xp.where(self.valid, step, -np.inf)
        rows = xp.arange(batch)
        last = xp.maximum(input_lengths - 1, 0)
        end_blank = alpha[last, rows, 2 * target_lengths]
        end_label = xp.where(target_lengths > 0, alpha[last, rows, 2 * target_lengths - 1], -np.inf)
        top = xp.maximum(end_blank, end_label)
        top = xp.where(top == -np.inf, 0, top)
        with np.errstate(divide="ignore"):
            likelihood = xp.log(xp.exp(end_blank - top) + xp.exp(end_label - top)) + top
        # no frames: the empty target is certain, any other impossible
        likelihood = xp.where(input_lengths == 0, xp.where(target_lengths == 0, 0, -np.inf), likelihood)
        nll = (-likelihood).astype(log_probs.dtype)
        self.log_probs, self.labels, self.alpha, self.nll = log_probs, labels, alpha, nll
        self.input_lengths, self.target_lengths = input_lengths, target_lengths
        self.zero_infinity, self.blank = zero_infinity, blank
        return xp.where(nll == np.inf, 0, nll).astype(nll.dtype) if zero_infinity else nll

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        log_probs, alpha, emit = self.log_probs, self.alpha, self.emit
        steps, batch, classes = log_probs.shape
        last = (self.input_lengths - 1)[:, None]
        s = xp.arange(alpha.shape[2])[None, :]
        end = (s == 2 * self.target_lengths[:, None]) | (
            (s == 2 * self.target_lengths[:, None] - 1) & (self.target_lengths[:, None] > 0))
        skip_next = xp.zeros_like(self.skip)  # s -> s + 2 allowed
        skip_next[:, :-2] = self.skip[:, 2:]
        beta = xp.full_like(alpha, -np.inf)
        for t in range(steps - 1, -1, -1):
            start = xp.where(end, emit[t], -np.inf)
            if t + 1 < steps:
                following = beta[t + 1]
                from_skip = xp.where(skip_next, _shift(following, -2), -np.inf)
                step = _log_add3(following, _shift(following, -1), from_skip) + emit[t]
            else:
                step = start
            beta[t] = xp.where(t == last, start, xp.where(t < last, step, -np.inf))
            beta[t] = xp.where(self.valid, beta[t], -np.inf)
        # log Σ_{s: label s = c} alpha·beta, per frame, sample and class
        both = alpha + beta
        top = both.max(axis=2, keepdims=True)  # the extended labels are never empty
        top = xp.where(top == -np.inf, 0, top)
        weights = xp.exp(both - top)
        # each label's positions, one target position at a time: memory stays (T, N, C)
        sums = xp.zeros((steps, batch, classes), dtype=alpha.dtype)
        rows = xp.arange(batch)
        for s in range(alpha.shape[2]):
            sums[:, rows, self.labels[:, s]] += weights[:, :, s]
        with np.errstate(divide="ignore"):
            occupancy = xp.log(sums) + top
        # PyTorch's last frame assigns the last label's term over the blank's instead of adding
        # it when a target label is the blank itself; kept, so that gradients agree there too
        final = self.labels[rows, xp.maximum(2 * self.target_lengths - 1, 0)]
        clash = rows[(self.target_lengths > 0) & (final == self.blank) & (self.input_lengths > 0)]
        frame = self.input_lengths[clash] - 1
        occupancy[frame, clash, self.blank] = both[frame, clash, 2 * self.target_lengths[clash] - 1]
        with np.errstate(over="ignore", invalid="ignore"):
            grad = xp.exp(log_probs) - xp.exp(occupancy + self.nll[None, :, None] - log_probs)
        grad = grad * grad_output[None, :, None]
        keep = xp.arange(steps)[:, None] < self.input_lengths[None, :]
        if self.zero_infinity:
            keep = keep & (self.nll != np.inf)[None, :]
        return xp.where(keep[:, :, None], grad, 0).astype(log_probs.dtype, copy=False)


def _lengths(lengths: Any, batch: int, name: str) -> Any:
    """Lengths given as a tensor, array, sequence or int, as an int64 NumPy array (batch,)."""
    array = lengths.array if isinstance(lengths, Tensor) else np.asarray(lengths)
    array = backend.to_numpy(array)
    if array.dtype.kind not in "iu":
        raise RuntimeError(f"{name} must be integral; pass integer lengths (e.g. {name}.long())")
    array = array.reshape(-1).astype(np.int64)
    if array.size != batch:
        raise RuntimeError(f"{name} must be of size batch_size ({batch}), got {array.size} values")
    return array


def _padded_targets(targets: Any, input_lengths: Any, target_lengths: Any, steps: int, batch: int,
                    classes: int, blank: int) -> Any:
    """Targets (N, S) padded or concatenated (Σ lengths,) as (N, max length) with blanks after
    each sample's end; checks lengths and labels as PyTorch does (and labels past the classes)."""
    for name, values, low in (("input_lengths", input_lengths, 0), ("target_lengths", target_lengths, 0)):
        if values.size and int(values.min()) < low:
            raise RuntimeError(f"Expected {name} to have value at least 0, but got value "
                               f"{int(values.min())}")
    if input_lengths.size and int(input_lengths.max()) > steps:
        raise RuntimeError(f"Expected input_lengths to have value at most {steps}, but got value "
                           f"{int(input_lengths.max())}: lengths count frames of log_probs (T, N, C)")
    if targets.dtype.kind not in "iu":
        raise TypeError(f"ctc_loss: targets must be integer class indices, got {targets.dtype}; "
                        "use targets.long()")
    longest = int(target_lengths.max()) if target_lengths.size else 0
    position = np.arange(longest)[None, :]
    inside = position < target_lengths[:, None]
    if targets.ndim == 1:
        total = int(target_lengths.sum())
        if targets.shape[0] != total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got size "
                               f"{targets.shape[0]} for argument #2 'targets': concatenated targets "
                               "hold sum(target_lengths) labels")
        starts = np.cumsum(target_lengths) - target_lengths
        padded = np.where(inside, targets[np.minimum(starts[:, None] + position, max(total - 1, 0))]
                          if total else 0, blank)
    else:
        if targets.shape[0] != batch:
            raise RuntimeError(f"Expected tensor to have size {batch} at dimension 0, but got size "
                               f"{targets.shape[0]} for argument #2 'targets'")
        if targets.shape[1] < longest:
            raise RuntimeError(f"Expected tensor to have size at least {longest} at dimension 1, but "
                               f"got size {targets.shape[1]} for argument #2 'targets'")
        padded = np.where(inside, targets[:, :longest], blank)
    if padded.size and (int(padded.min()) < 0 or int(padded.max()) >= classes):
        raise IndexError(f"ctc_loss: target labels must be in [0, {classes}), got "
                         f"{int(padded.min())}..{int(padded.max())}")
    return padded.astype(np.int64)


def ctc_loss(log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """CTC loss of log-probabilities (T, N, C) (or (T, C) unbatched) against targets padded
    (N, S) or concatenated (Σ target_lengths,); lengths as tensors, sequences or (unbatched) ints.

    'mean' divides each loss by its target length (at least 1), then averages over the batch;
    zero_infinity zeroes infinite losses (impossible alignments) and their gradients. npnn
    differs: target labels outside [0, C) raise an IndexError (PyTorch's CPU kernel reads them
    unchecked), and float targets a TypeError (use targets.long()).
    """
    check_reduction(reduction)
    log_probs = to_tensor(log_probs)
    unbatched = log_probs.ndim == 2
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {log_probs.ndim}-dimensional "
                           "tensor for argument #1 'log_probs': pass (T, N, C) or unbatched (T, C)")
    if log_probs.array.dtype.kind != "f":
        raise TypeError(f"ctc_loss needs floating-point log_probs, got {log_probs.dtype}")
    if unbatched:
        log_probs = reshape(log_probs, log_probs.shape[0], 1, log_probs.shape[1])
    steps, batch, classes = log_probs.shape
    if not 0 <= blank < classes:
        raise RuntimeError(f"blank must be in label range: got blank={blank} for {classes} classes")
    target_array = backend.to_numpy(targets.array if isinstance(targets, Tensor) else np.asarray(targets))
    if unbatched:
        target_array = target_array.reshape(1, -1)
    in_lengths = _lengths(input_lengths, batch, "input_lengths")
    out_lengths = _lengths(target_lengths, batch, "target_lengths")
    padded = _padded_targets(target_array, in_lengths, out_lengths, steps, batch, classes, blank)
    xp = backend.get_array_module(log_probs.array)
    losses = CTC.apply(log_probs, targets=xp.asarray(padded), input_lengths=xp.asarray(in_lengths),
                       target_lengths=xp.asarray(out_lengths), blank=blank,
                       zero_infinity=zero_infinity)
    if reduction == "none":
        return reshape(losses, ()) if unbatched else losses
    if reduction == "sum":
        return sum(losses)
    divisor = xp.asarray(np.maximum(out_lengths, 1), dtype=log_probs.array.dtype)
    return mean(losses / Tensor(divisor))
