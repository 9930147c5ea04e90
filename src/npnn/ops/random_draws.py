"""Random draws with PyTorch's names: bernoulli, multinomial, normal, and the fills behind
`Tensor.normal_`, `uniform_` and `bernoulli_`.

Every draw comes from npnn's generator (`npnn.manual_seed`) or the `generator=` given, made
with NumPy on the CPU and moved to the tensor's device. A sample whose parameters need grad
is in the graph with gradient zero for them, as PyTorch's bernoulli and normal.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend, random
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.autograd.grad_mode import is_grad_enabled
from npnn.ops.shape import shape_arg


def _like(values: np.ndarray, dtype: Any, device: Any) -> Tensor:
    """NumPy draws as a Tensor of `dtype` on `device`."""
    array = values.astype(dtype, copy=False)
    return Tensor(array if backend.device_name(device) == "cpu" else backend.to_device(array, device))


class Sampled(Function):
    """Draws made from parameters that need grad: no path back, so gradient zero (PyTorch's)."""

    def forward(self, *parameters, draws=None):
        return draws

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        return tuple(xp.zeros_like(grad_output) if needed else None for needed in self.needs_input_grad)


def _in_graph(draws: Tensor, parameters: list[Any]) -> Tensor:
    """`draws`, recorded after `parameters` when one of them needs grad."""
    tensors = [p for p in parameters if isinstance(p, Tensor)]
    if is_grad_enabled() and any(t.requires_grad for t in tensors):
        return Sampled.apply(*tensors, draws=draws.array)
    return draws


def bernoulli(input: Any, p: float | None = None, *, generator: random.Generator | None = None) -> Tensor:
    """1 with probability `input` (or `p`, for every element), else 0, in input's dtype."""
    input = to_tensor(input)
    probability = backend.to_numpy(input.array) if p is None else np.asarray(p)
    if not bool(((probability >= 0) & (probability <= 1)).all()):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    draws = random.resolve(generator).random(input.shape) < probability
    return _in_graph(_like(draws, input.dtype, input.device), [input])


def multinomial(input: Any, num_samples: int, replacement: bool = False, *,
                generator: random.Generator | None = None) -> Tensor:
    """`num_samples` category indices per row of non-negative weights (1-D or 2-D), int64.
    Without replacement each category is drawn at most once; once the non-zero weights are used
    up, zero-weight categories follow (in index order here, in an unspecified order in PyTorch)."""
    input = to_tensor(input)
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    weights = backend.to_numpy(input.array).astype(np.float64).reshape(-1, input.shape[-1])
    categories = weights.shape[1]
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = weights.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = random.resolve(generator)
    if replacement:  # inverse CDF: the first category whose cumulative share exceeds u
        cdf = np.cumsum(weights / totals, axis=1)
        u = rng.random((weights.shape[0], num_samples))
        samples = np.stack([np.searchsorted(row, draws, side="right")
                            for row, draws in zip(cdf, u, strict=True)])
        samples = np.minimum(samples, categories - 1)
    else:
        # exponential races: category k finishes at E_k / w_k; the first num_samples to finish
        # are a draw without replacement in proportion to the weights (zero weights: inf, last)
        with np.errstate(divide="ignore"):
            finish = rng.standard_exponential(weights.shape) / weights
        samples = np.argsort(finish, axis=1, kind="stable")[:, :num_samples]
    return _like(samples.reshape(*input.shape[:-1], num_samples), np.int64, input.device)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *,
           generator: random.Generator | None = None, dtype: Any = None, device: Any = None) -> Tensor:
    """Draws from N(mean, std²): `mean` and/or `std` tensors (broadcast together), or two
    numbers and a `size`."""
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if tensors:
        if size is not None:
            raise RuntimeError("normal(): a size is only taken with a number mean and std")
        shape = np.broadcast_shapes(*(t.shape for t in tensors))
        dtype = tensors[0].dtype if dtype is None else dtype
        device = tensors[0].device if device is None else device
    else:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: numbers mean "
                            "and std need a size, e.g. normal(0.0, 1.0, size=(2, 3))")
        shape = shape_arg((size,))
        dtype = backend.resolve_float_dtype(dtype)
        device = "cpu" if device is None else device
    std_values = backend.to_numpy(std.array) if isinstance(std, Tensor) else np.asarray(std)
    if (std_values < 0).any():
        raise RuntimeError(f"normal expects all elements of std >= 0.0, got "
                           f"{std_values.min() if std_values.ndim else float(std_values)}")
    mean_values = backend.to_numpy(mean.array) if isinstance(mean, Tensor) else np.asarray(mean)
    draws = random.resolve(generator).standard_normal(shape) * std_values + mean_values
    return _in_graph(_like(draws, dtype, device), [mean, std])


def normal_values(tensor: Tensor, mean: float, std: float, generator: Any) -> Any:
    """N(mean, std²) draws shaped as `tensor`, on its device and in its dtype."""
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return _like(random.resolve(generator).normal(mean, std, tensor.shape), tensor.dtype, tensor.device)


def uniform_values(tensor: Tensor, low: float, high: float, generator: Any) -> Any:
    """U[low, high) draws shaped as `tensor`, on its device and in its dtype."""
    if low > high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={low} > to={high}")
    return _like(random.resolve(generator).uniform(low, high, tensor.shape), tensor.dtype, tensor.device)


def bernoulli_values(tensor: Tensor, p: Any, generator: Any) -> Any:
    """0/1 draws with probability `p` (a number or a tensor that broadcasts), as `tensor`."""
    probability = backend.to_numpy(p.array) if isinstance(p, Tensor) else np.asarray(p)
    if not bool(((probability >= 0) & (probability <= 1)).all()):
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    draws = random.resolve(generator).random(tensor.shape) < probability
    return _like(draws, tensor.dtype, tensor.device)
