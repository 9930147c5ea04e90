"""`kl_divergence(p, q)` for pairs of the same family, in PyTorch's closed forms (inf where q
gives zero probability to what p can draw)."""

from __future__ import annotations

import math

import numpy as np

from npnn import ops
from npnn._tensor import Tensor
from npnn.distributions.continuous import Normal, Uniform
from npnn.distributions.discrete import Bernoulli, Categorical
from npnn.distributions.distribution import Distribution


def _normal(p: Normal, q: Normal) -> Tensor:
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - ops.log(var_ratio))


def _categorical(p: Categorical, q: Categorical) -> Tensor:
    t = p.probs * (p.logits - q.logits)
    t = ops.where(ops.expand(q.probs, *t.shape) == 0, math.inf, t)
    t = ops.where(ops.expand(p.probs, *t.shape) == 0, 0.0, t)
    return ops.sum(t, -1)


def _bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    t1 = p.probs * (ops.softplus(-q.logits) - ops.softplus(-p.logits))
    t1 = ops.where(p.probs == 0, 0.0, ops.where(q.probs == 0, math.inf, t1))
    t2 = (1 - p.probs) * (ops.softplus(q.logits) - ops.softplus(p.logits))
    t2 = ops.where(p.probs == 1, 0.0, ops.where(q.probs == 1, math.inf, t2))
    return t1 + t2


def _uniform(p: Uniform, q: Uniform) -> Tensor:
    result = ops.log((q.high - q.low) / (p.high - p.low))
    outside = np.logical_or(q.low.array > p.low.array, q.high.array < p.high.array)
    return ops.where(outside, math.inf, result)


_PAIRS = {(Normal, Normal): _normal, (Categorical, Categorical): _categorical,
          (Bernoulli, Bernoulli): _bernoulli, (Uniform, Uniform): _uniform}


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p ‖ q) per batch element, differentiable in both distributions' parameters."""
    compute = _PAIRS.get((type(p), type(q)))
    if compute is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} and "
                                  f"q type {type(q).__name__}: npnn has it for Normal, Categorical, "
                                  f"Bernoulli and Uniform pairs of one family")
    return compute(p, q)
