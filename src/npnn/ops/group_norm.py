"""Per-sample normalizations, as torch.nn.functional's group_norm and instance_norm: statistics
over each sample's own channels (a group of them, or one), so they do not depend on the batch.
Both are composites of the reduction ops; autograd gives their gradients."""

from __future__ import annotations

import math
from typing import Any

from npnn import ops
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.grad_mode import no_grad


def _per_channel(param: Tensor, ndim: int) -> Tensor:
    """A (C,) parameter shaped (C, 1, ...) to broadcast over (N, C, *)."""
    return param.reshape(param.shape[0], *([1] * (ndim - 2)))


def group_norm(input: Any, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalize each sample's channels in num_groups groups (mean and biased variance over the
    group's channels and positions), then scale and shift per channel."""
    x = to_tensor(input)
    if x.ndim < 2 or x.shape[1] % num_groups != 0:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, but got "
                           f"input of shape {list(x.shape)} and num_groups={num_groups}")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and tuple(param.shape) != (x.shape[1],):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in "
                               f"input, but got {name} of shape {list(param.shape)} and input of shape "
                               f"{list(x.shape)}")
    groups = x.reshape(x.shape[0], num_groups, -1)
    mean = ops.mean(groups, 2, keepdim=True)
    var = ops.var(groups, 2, keepdim=True, correction=0)
    out = ((groups - mean) / ops.sqrt(var + eps)).reshape(x.shape)
    if weight is not None:
        out = out * _per_channel(weight, x.ndim)
    if bias is not None:
        out = out + _per_channel(bias, x.ndim)
    return out


def instance_norm(input: Any, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each sample's each channel over its positions (group_norm with one channel per
    group). With use_input_stats and running statistics given, these move `momentum` of the way
    to the batch's mean of the instances' mean and unbiased variance (PyTorch's rule); without
    use_input_stats, the running statistics normalize."""
    x = to_tensor(input)
    if x.ndim < 3:
        raise ValueError(f"instance_norm expects input of shape (N, C, *), got {x.shape}")
    positions = math.prod(x.shape[2:])
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: use_input_stats=False needs running_mean and running_var")
        out = (x - _per_channel(running_mean, x.ndim)) / ops.sqrt(_per_channel(running_var, x.ndim) + eps)
        out = out if weight is None else out * _per_channel(weight, x.ndim)
        return out if bias is None else out + _per_channel(bias, x.ndim)
    if positions <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {x.shape}")
    if running_mean is not None or running_var is not None:
        with no_grad():
            values = x.detach().reshape(x.shape[0], x.shape[1], -1)
            for running, batch in ((running_mean, ops.mean(values, 2)), (running_var, ops.var(values, 2))):
                if running is not None:
                    running.array[...] = ((1 - momentum) * running.array
                                          + momentum * ops.mean(batch, 0).array).astype(running.dtype)
    return group_norm(x, x.shape[1], weight, bias, eps)
