"""The base of npnn's distributions: batch shape, sample without a graph, and PyTorch's
argument checks (scale > 0, probabilities in [0, 1])."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend, creation, random
from npnn._tensor import Tensor
from npnn.autograd.grad_mode import no_grad
from npnn.ops.reorder import broadcast_tensors


def as_params(*values: Any) -> tuple[Tensor, ...]:
    """Numbers and tensors as tensors of one broadcast shape (numbers take the default float)."""
    like = next((v.dtype for v in values if isinstance(v, Tensor)), None)
    tensors = [v if isinstance(v, Tensor) else creation.tensor(float(v), dtype=like) for v in values]
    return broadcast_tensors(*tensors) if len(tensors) > 1 else (tensors[0],)


class Distribution:
    """A batch of distributions of shape `batch_shape`; sample() draws from npnn's generator."""

    has_rsample = False
    _validate_args = True  # PyTorch's default: parameters and log_prob's values are checked

    def __init__(self, batch_shape: tuple[int, ...], event_shape: tuple[int, ...] = ()) -> None:
        self.batch_shape = tuple(batch_shape)
        self.event_shape = tuple(event_shape)

    def _extended_shape(self, sample_shape: Any = ()) -> tuple[int, ...]:
        return tuple(sample_shape) + self.batch_shape + self.event_shape

    def sample(self, sample_shape: Any = (), generator: Any = None) -> Tensor:
        """Draws of shape sample_shape + batch_shape, with no graph."""
        with no_grad():
            return self.rsample(sample_shape, generator).detach()

    def rsample(self, sample_shape: Any = (), generator: Any = None) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no rsample: it is not reparameterizable")

    def _check(self, name: str, value: Tensor, ok: Any, constraint: str) -> None:
        if not bool(np.all(ok)):
            raise ValueError(f"Expected parameter {name} (Tensor of shape {value.shape}) of distribution "
                             f"{self!r} to satisfy the constraint {constraint}, but found invalid values:"
                             f"\n{value}")

    def _check_value(self, value: Any, ok: Any, support: str) -> None:
        """PyTorch's check of a value given to log_prob: in the support, unless the
        distribution was made with validate_args=False."""
        if self._validate_args and not bool(np.all(backend.to_numpy(ok))):
            shape = tuple(np.shape(value.array if isinstance(value, Tensor) else value))
            raise ValueError(f"Expected value argument (Tensor of shape {shape}) to be within the support "
                             f"({support}) of the distribution {self!r}, but found invalid values:\n{value}")

    def __repr__(self) -> str:
        args = ", ".join(f"{name}: {self._param_repr(getattr(self, name))}" for name in self._params)
        return f"{type(self).__name__}({args})"

    @staticmethod
    def _param_repr(value: Tensor) -> str:
        return str(value.item()) if value.numel() == 1 else f"npnn.Size({list(value.shape)})"

    _params: tuple[str, ...] = ()


def uniform_draws(shape: tuple[int, ...], like: Tensor, generator: Any, dtype: Any = None) -> Tensor:
    """U[0, 1) draws of `shape` from the given or global generator, in `like`'s dtype (or
    `dtype`) on its device (npnn's GPU draws come from the same generator)."""
    draws = random.resolve(generator).random(shape).astype(dtype or like.dtype)
    return Tensor(backend.get_array_module(like.array).asarray(draws))


def normal_draws(shape: tuple[int, ...], like: Tensor, generator: Any) -> Tensor:
    draws = random.resolve(generator).standard_normal(shape).astype(like.dtype)
    return Tensor(backend.get_array_module(like.array).asarray(draws))
