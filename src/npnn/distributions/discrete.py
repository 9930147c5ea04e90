"""Categorical and Bernoulli, parameterized by `probs` or `logits` (exactly one), with
PyTorch's normalization, log_prob and entropy; both parameters are differentiable."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend, ops
from npnn._tensor import Tensor
from npnn.distributions.distribution import Distribution, as_params, uniform_draws
from npnn.dtypes import finfo


def _one_of(probs: Any, logits: Any) -> None:
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


class Categorical(Distribution):
    """One of K categories (the last dim of probs/logits); samples are int64 indices."""

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        _one_of(probs, logits)
        self._validate_args = validate_args is not False
        if probs is not None:
            (probs,) = as_params(probs)
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            if validate_args is not False:
                self._check("probs", probs, probs.array >= 0, "Simplex()")
            self.probs = probs / ops.sum(probs, -1, keepdim=True)
            self.logits = ops.log(ops.clamp(self.probs, min=finfo(self.probs.dtype).eps,
                                            max=1 - finfo(self.probs.dtype).eps))
            self._params = ("probs",)
        else:
            (logits,) = as_params(logits)
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - ops.logsumexp(logits, -1, keepdim=True)
            self.probs = ops.softmax(self.logits, -1)
            self._params = ("logits",)
        self._num_events = self.probs.shape[-1]
        super().__init__(self.probs.shape[:-1])

    @staticmethod
    def _param_repr(value: Tensor) -> str:
        return f"npnn.Size({list(value.shape)})"

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self.probs.shape

    def sample(self, sample_shape: Any = (), generator: Any = None) -> Tensor:
        """Indices drawn by inverting each row's cumulative probabilities with U[0, 1) draws."""
        shape = self._extended_shape(sample_shape)
        u = uniform_draws((*shape, 1), self.probs, generator, np.float64).array
        xp = backend.get_array_module(u)
        cumulative = xp.cumsum(self.probs.array.astype(np.float64), -1)
        index = (cumulative < u).sum(-1)
        return Tensor(xp.minimum(index, self._num_events - 1).astype(np.int64))

    def log_prob(self, value: Any) -> Tensor:
        array = backend.to_numpy(value.array) if isinstance(value, Tensor) else np.asarray(value)
        top = self._num_events - 1
        self._check_value(value, (array == np.floor(array)) & (array >= 0) & (array <= top),
                          f"IntegerInterval(lower_bound=0, upper_bound={top})")
        value = value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=np.int64))
        shape = np.broadcast_shapes(value.shape, self.batch_shape)
        logits = ops.expand(self.logits, *shape, self._num_events)
        xp = backend.get_array_module(value.array)
        index = xp.broadcast_to(value.array.astype(np.int64), shape)[..., None]
        return ops.squeeze(ops.gather(logits, -1, index), -1)

    def entropy(self) -> Tensor:
        logits = ops.clamp(self.logits, min=float(finfo(self.logits.dtype).min))
        return -ops.sum(logits * self.probs, -1)


class Bernoulli(Distribution):
    """1 with probability `probs` (or sigmoid(`logits`)), else 0; samples in probs' float dtype."""

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        _one_of(probs, logits)
        self._validate_args = validate_args is not False
        if probs is not None:
            (self.probs,) = as_params(probs)
            if validate_args is not False:
                ok = (self.probs.array >= 0) & (self.probs.array <= 1)
                self._check("probs", self.probs, ok, "Interval(lower_bound=0.0, upper_bound=1.0)")
            eps = finfo(self.probs.dtype).eps
            clamped = ops.clamp(self.probs, min=eps, max=1 - eps)
            self.logits = ops.log(clamped) - ops.log1p(-clamped)
            self._params = ("probs",)
        else:
            (self.logits,) = as_params(logits)
            self.probs = ops.sigmoid(self.logits)
            self._params = ("logits",)
        super().__init__(self.probs.shape)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = (), generator: Any = None) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = uniform_draws(shape, self.probs, generator, np.float64).array
        return Tensor((u < self.probs.array).astype(self.probs.dtype))

    def log_prob(self, value: Any) -> Tensor:
        array = backend.to_numpy(value.array) if isinstance(value, Tensor) else np.asarray(value)
        self._check_value(value, (array == 0) | (array == 1), "Boolean()")
        logits, value = as_params(self.logits, value)
        return -ops.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self) -> Tensor:
        # binary cross-entropy of logits against probs, written out so both get their gradient
        return ops.softplus(self.logits) - self.logits * self.probs
