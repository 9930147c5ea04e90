"""Batch normalization layers: BatchNorm1d over (N, C) or (N, C, L), BatchNorm2d over (N, C, H, W)."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor
from npnn.autograd.grad_mode import no_grad
from npnn.nn import functional as F
from npnn.nn.module import Module
from npnn.nn.parameter import Parameter


class _BatchNorm(Module):
    """What the BatchNorm layers share: parameters, running statistics as buffers, and PyTorch's
    choice of statistics (batch in training or without running stats, running otherwise)."""

    _input_shapes: tuple[int, ...] = ()  # the input ranks a subclass accepts
    _shape_text = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = backend.resolve_float_dtype(dtype)
        # affine=True gives a learnable scale, and a shift unless bias=False (as PyTorch 2.13)
        self.register_parameter("weight", Parameter(np.ones(num_features, dtype=dtype)) if affine else None)
        self.register_parameter(
            "bias", Parameter(np.zeros(num_features, dtype=dtype)) if affine and bias else None
        )
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        if device is not None:
            self.to(device)

    def reset_running_stats(self) -> None:
        """Running mean 0, variance 1, no batches tracked."""
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0

    def _check_input(self, input: Tensor) -> None:
        if input.ndim not in self._input_shapes or input.shape[1] != self.num_features:
            ranks = " or ".join(f"{rank}D" for rank in self._input_shapes)
            shape = self._shape_text.format(self.num_features)
            raise ValueError(f"{type(self).__name__}({self.num_features}) expects input of shape {shape}, "
                             f"got {input.shape} (expected {ranks} input with {self.num_features} channels)")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        use_batch_stats = self.training or not self.track_running_stats
        momentum = self.momentum
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.array += 1
            if momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.array)
        return F.batch_norm(
            input,
            # in training without tracking, or in eval with tracking, only one of the two is used
            self.running_mean if not self.training or self.track_running_stats else None,
            self.running_var if not self.training or self.track_running_stats else None,
            self.weight, self.bias, training=use_batch_stats,
            momentum=0.0 if momentum is None else momentum, eps=self.eps,
        )

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization over (N, C) or (N, C, L), per channel C."""

    _input_shapes = (2, 3)
    _shape_text = "(N, {0}) or (N, {0}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization over (N, C, H, W), per channel C: statistics over N, H and W."""

    _input_shapes = (4,)
    _shape_text = "(N, {0}, H, W)"
