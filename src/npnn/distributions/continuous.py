"""Normal and Uniform, with PyTorch's formulas: rsample is differentiable (reparameterized:
loc + ε·scale, low + u·(high - low)), log_prob and entropy in closed form."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from npnn import ops
from npnn._tensor import Tensor
from npnn.distributions.distribution import Distribution, as_params, normal_draws, uniform_draws


class Normal(Distribution):
    """N(loc, scale²); loc and scale broadcast (numbers or tensors)."""

    has_rsample = True
    _params = ("loc", "scale")

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = as_params(loc, scale)
        super().__init__(self.loc.shape)
        self._validate_args = validate_args is not False
        if validate_args is not False:
            self._check("scale", self.scale, self.scale.array > 0, "GreaterThan(lower_bound=0.0)")

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale**2

    def rsample(self, sample_shape: Any = (), generator: Any = None) -> Tensor:
        eps = normal_draws(self._extended_shape(sample_shape), self.loc, generator)
        return self.loc + eps * self.scale

    def log_prob(self, value: Any) -> Tensor:
        array = value.array if isinstance(value, Tensor) else np.asarray(value)
        self._check_value(value, array == array, "Real()")  # not NaN
        return (-((value - self.loc) ** 2) / (2 * self.variance) - ops.log(self.scale)
                - math.log(math.sqrt(2 * math.pi)))

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + ops.log(self.scale)

    def cdf(self, value: Any) -> Tensor:
        return 0.5 * (1 + ops.erf((value - self.loc) / (self.scale * math.sqrt(2))))


class Uniform(Distribution):
    """U[low, high); low and high broadcast."""

    has_rsample = True
    _params = ("low", "high")

    def __init__(self, low: Any, high: Any, validate_args: bool | None = None) -> None:
        self.low, self.high = as_params(low, high)
        super().__init__(self.low.shape)
        self._validate_args = validate_args is not False
        if validate_args is not False:
            self._check("low", self.low, self.low.array < self.high.array,
                        f"LessThan(upper_bound={self.high})")

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / 12**0.5

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape: Any = (), generator: Any = None) -> Tensor:
        u = uniform_draws(self._extended_shape(sample_shape), self.low, generator)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value: Any) -> Tensor:
        array = value.array if isinstance(value, Tensor) else np.asarray(value)
        self._check_value(value, (self.low.array <= array) & (array <= self.high.array),
                          f"Interval(lower_bound={self.low}, upper_bound={self.high})")
        inside = ops.logical_and(self.low <= value, self.high > value)
        return ops.where(inside, -ops.log(self.high - self.low), -math.inf)

    def entropy(self) -> Tensor:
        return ops.log(self.high - self.low)
