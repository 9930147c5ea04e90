"""Batch normalization over (N, C, *) as one fused op, as torch.nn.functional.batch_norm.

One Function instead of a composition of mean/var/sub/div/mul/add: the statistics are per-channel
reductions over every axis but C, and the backward needs only two more (Σg and Σg·(x - mean)), so
forward and backward each make a few passes over the activations and allocate no graph of
intermediates. Composed ops measured two to three times slower at (128, 32, 28, 28). On NumPy
each pass is split over threads by rows of the batch (npnn.parallel), the per-channel sums too:
each thread sums its rows, and the parts' sums are added.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from npnn import backend, parallel
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.layout import is_channels_last


class _Rows:
    """(N, C, *) arrays as 3-D views in which the passes run along memory: (N, C, L), or (N, L, C)
    for channels-last input (a convolution's output), with per-channel sums and broadcasts."""

    def __init__(self, shape: tuple[int, ...], channels_last: bool) -> None:
        self.shape, self.channels_last = shape, channels_last

    def view(self, a: Any) -> Any:
        n, c = self.shape[:2]
        if self.channels_last:
            return backend.get_array_module(a).moveaxis(a, 1, -1).reshape(n, -1, c)
        return a.reshape(n, c, -1)

    def unview(self, a3: Any) -> Any:
        if self.channels_last:
            n, c = self.shape[:2]
            return backend.get_array_module(a3).moveaxis(a3.reshape(n, *self.shape[2:], c), -1, 1)
        return a3.reshape(self.shape)

    def channel(self, vector: Any) -> Any:
        """A per-channel vector, shaped to broadcast against the 3-D views."""
        return vector if self.channels_last else vector[:, None]

    def sum(self, a: Any, b: Any = None) -> Any:
        """Σ a (or Σ a·b) per channel of 3-D views, without a temporary for the product."""
        xp = backend.get_array_module(a)
        axes = "nlc" if self.channels_last else "ncl"
        return xp.einsum(f"{axes}->c", a) if b is None else xp.einsum(f"{axes},{axes}->c", a, b)


def _by_rows(work: Callable[[slice], Any], like: Any) -> Any:
    """work(rows) over the batch rows of `like`, in threads on NumPy; the sum of what the parts
    return (per-channel sums), or None."""
    parts = parallel.over_rows(work, like.shape[0], like.size, split=backend.get_array_module(like) is np)
    return None if parts[0] is None else sum(parts[1:], parts[0])


class BatchNorm(Function):
    """y = (x - mean) / √(var + eps) · weight + bias, per channel of (N, C, *)."""

    def forward(self, x, *affine, has_weight=True, has_bias=True, running_mean=None, running_var=None,
                training=True, momentum=0.1, eps=1e-5):
        weight = affine[0] if has_weight else None
        bias = affine[-1] if has_bias else None
        layout = _Rows(x.shape, is_channels_last(x))
        x3 = layout.view(x)  # reductions over every axis but the channels'
        channel = layout.channel
        scalar = x.dtype.type
        xp = backend.get_array_module(x)
        if training:
            count = x.size // x.shape[1]
            mean = _by_rows(lambda rows: layout.sum(x3[rows]), x3) / scalar(count)
            out = xp.empty_like(x3)  # centred: the variance's input, then scaled in place

            def centre(rows: slice) -> Any:
                xp.subtract(x3[rows], channel(mean), out=out[rows])
                return layout.sum(out[rows], out[rows])

            var = _by_rows(centre, x3) / scalar(count)  # biased, for normalization
            self._update_running(running_mean, running_var, mean, var, count, momentum)
        else:
            mean, var = running_mean.astype(x.dtype), running_var.astype(x.dtype)
        inv_std = scalar(1) / xp.sqrt(var + scalar(eps))
        scale = inv_std if weight is None else inv_std * weight
        if training:
            def scale_rows(rows: slice) -> None:
                out[rows] *= channel(scale)
                if bias is not None:
                    out[rows] += channel(bias)
        else:  # x·scale + (bias - mean·scale): two passes over x
            shift = -mean * scale if bias is None else bias - mean * scale
            out = xp.empty_like(x3)

            def scale_rows(rows: slice) -> None:
                xp.multiply(x3[rows], channel(scale), out=out[rows])
                out[rows] += channel(shift)
        _by_rows(scale_rows, x3)
        # x itself (a view) is saved, not x - mean: backward recomputes that into its own result,
        # so each direction allocates one activation-sized array
        self.x3, self.mean, self.inv_std, self.scale, self.layout = x3, mean, inv_std, scale, layout
        self.training, self.has_weight, self.has_bias = training, has_weight, has_bias
        return layout.unview(out)

    @staticmethod
    def _update_running(running_mean, running_var, mean, var, count, momentum):
        """running = (1 - momentum)·running + momentum·batch, in place (unbiased batch variance)."""
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += (momentum * mean).astype(running_mean.dtype)
        if running_var is not None:
            unbiased = var * var.dtype.type(count / (count - 1))
            running_var *= 1 - momentum
            running_var += (momentum * unbiased).astype(running_var.dtype)

    def backward(self, grad_output):
        layout = self.layout
        channel = layout.channel
        g = layout.view(grad_output)
        xp = backend.get_array_module(g)
        scalar = g.dtype.type
        weight_grad = self.has_weight and self.needs_input_grad[1]
        # x - mean, recomputed into the buffer that becomes grad_x
        centered = None
        if weight_grad or (self.training and self.needs_input_grad[0]):
            centered = xp.empty_like(g)

        def sums(rows: slice) -> Any:  # Σg (the bias gradient) and Σg·(x - mean) per channel
            if centered is None:
                return xp.stack([layout.sum(g[rows]), xp.zeros_like(self.mean)])
            xp.subtract(self.x3[rows], channel(self.mean), out=centered[rows])
            return xp.stack([layout.sum(g[rows]), layout.sum(g[rows], centered[rows])])

        grad_sum, grad_dot = _by_rows(sums, g)
        grad_x = None
        if self.needs_input_grad[0] and self.training:
            # mean and var depend on x too: scale·(g - Σg/M - (x - mean)·inv_std²·Σg(x - mean)/M),
            # computed in the buffer of x - mean
            count = scalar(g.size // self.mean.size)
            coefficient, offset = channel(self.inv_std**2 * grad_dot / count), channel(grad_sum / count)

            def input_grad(rows: slice) -> None:
                part = centered[rows]
                part *= coefficient
                part += offset
                xp.subtract(g[rows], part, out=part)
                part *= channel(self.scale)

            _by_rows(input_grad, g)
            grad_x = layout.unview(centered)
        elif self.needs_input_grad[0]:
            grad_x = layout.unview(g * channel(self.scale))
        grads = [grad_x]
        if self.has_weight:
            grads.append(grad_dot * self.inv_std if weight_grad else None)
        if self.has_bias:
            grads.append(grad_sum)
        return tuple(grads)


def batch_norm(input: Any, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel of (N, C, *) by its batch statistics (training) or the running ones.

    In training the running statistics, when given, move `momentum` of the way to the batch's:
    the unbiased variance for running_var, the biased one for normalization (as PyTorch).
    """
    x = to_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects input of shape (N, C, *), got {x.shape}")
    channels = x.shape[1]
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        if value is not None and tuple(value.shape) != (channels,):
            raise RuntimeError(f"batch_norm: {name} should contain {channels} elements not "
                               f"{value.numel()} (one per channel of input {x.shape})")
    if training:
        if x.numel() // max(channels, 1) < 2:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{x.shape}; use a larger batch or call .eval()")
    elif running_mean is None or running_var is None:
        raise ValueError("batch_norm in eval mode needs running_mean and running_var")
    affine = [to_tensor(t) for t in (weight, bias) if t is not None]
    return BatchNorm.apply(
        x, *affine, has_weight=weight is not None, has_bias=bias is not None,
        running_mean=None if running_mean is None else running_mean.array,
        running_var=None if running_var is None else running_var.array,
        training=training, momentum=momentum, eps=eps,
    )
