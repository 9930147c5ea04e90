"""Average pooling over (N, C, H, W) or (C, H, W), as torch.nn.functional's avg_pool2d and
adaptive_avg_pool2d.

Both are one op: every window's divisor PyTorch uses (kernel area, area without the padding, the
ceil_mode edge, adaptive windows of varying size) is a product of a row count and a column count,
so the pooling is `rows @ x @ cols.T` with two small averaging matrices, and its gradient
`rows.T @ grad @ cols`. Two matrix products measured as fast as summing strided windows and need
no padded copy of the input. A product would spread an inf or NaN to every output (0 · inf is
NaN), so when the result is not all finite it is recomputed with the non-finite inputs kept to
the windows that hold them, as PyTorch's sums.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from npnn import backend, parallel
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.conv import Pair, as_pair
from npnn.ops.layout import is_channels_last


class SeparablePool(Function):
    """out = rows @ x @ cols.T over the last two dims; rows (Ho, H), cols (Wo, W)."""

    def forward(self, x, rows=None, cols=None):
        if is_channels_last(x):  # matmul of a strided (channels-last) array skips BLAS: copy first
            x = parallel.contiguous_copy(x) if backend.get_array_module(x) is np else x.copy(order="C")
        device = backend.device_of(x)
        self.rows = backend.to_device(rows.astype(x.dtype), device)
        self.cols = backend.to_device(cols.astype(x.dtype), device)
        with np.errstate(invalid="ignore", over="ignore"):  # non-finite input: recomputed below
            out = self.rows @ (x @ self.cols.T)
        return out if _all_finite(out) else _local_product(self.rows, _local_product(x, self.cols.T))

    def backward(self, grad_output):
        with np.errstate(invalid="ignore", over="ignore"):
            grad = self.rows.T @ (grad_output @ self.cols)
        if _all_finite(grad):
            return grad
        return _local_product(self.rows.T, _local_product(grad_output, self.cols))


def _all_finite(array: Any) -> bool:
    """Whether no element is inf or NaN, by the sum (no mask): a sum that overflows only sends
    a finite array down the slower exact path."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(backend.get_array_module(array).isfinite(array.sum()))


def _local_product(a: Any, b: Any) -> Any:
    """a @ b where one of them is a non-negative weight matrix (the other's inf or NaN then
    reaches only the outputs whose weight on it is non-zero): the product of the finite part,
    then inf, -inf or NaN where a non-zero weight meets one, as a sum over the window would."""
    xp = backend.get_array_module(a, b)
    finite_a, finite_b = xp.isfinite(a), xp.isfinite(b)
    out = xp.where(finite_a, a, 0) @ xp.where(finite_b, b, 0)
    if finite_a.all() and finite_b.all():
        return out
    nonzero_a, nonzero_b = (a != 0).astype(out.dtype), (b != 0).astype(out.dtype)

    def reaches(mask_a: Any, mask_b: Any) -> Any:
        return ((mask_a.astype(out.dtype) * nonzero_a) @ (mask_b.astype(out.dtype) * nonzero_b)) > 0
    posinf = reaches(a == np.inf, b != 0) | reaches(a != 0, b == np.inf)
    neginf = reaches(a == -np.inf, b != 0) | reaches(a != 0, b == -np.inf)
    nan = reaches(xp.isnan(a), b != 0) | reaches(a != 0, xp.isnan(b)) | (posinf & neginf)
    out = xp.where(posinf, np.inf, xp.where(neginf, -np.inf, out))
    return xp.where(nan, np.nan, out).astype(out.dtype)


def _averaging_matrix(size: int, starts: Sequence[int], ends: Sequence[int], weights: Sequence[float]) -> Any:
    """(len(starts), size): row o holds weights[o] over input positions [starts[o], ends[o])."""
    matrix = np.zeros((len(starts), size))
    for o, (start, end, weight) in enumerate(zip(starts, ends, weights, strict=True)):
        matrix[o, max(start, 0):min(end, size)] = weight
    return matrix


def _pool_axis(size: int, kernel: int, stride: int, padding: int, ceil_mode: bool,
               count_include_pad: bool) -> tuple[list[int], list[int], list[int]]:
    """Window starts, ends and divisors along one axis, by PyTorch's avg_pool2d rules."""
    out = (size + 2 * padding - kernel + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:  # the last window would start in the padding
        out -= 1
    starts = [o * stride - padding for o in range(out)]
    ends = [min(start + kernel, size + padding) for start in starts]
    if count_include_pad:
        divisors = [end - start for start, end in zip(starts, ends, strict=True)]
    else:
        divisors = [min(end, size) - max(start, 0) for start, end in zip(starts, ends, strict=True)]
    return starts, ends, divisors


def _check_input(x: Tensor, name: str) -> None:
    if x.ndim not in (3, 4):
        raise RuntimeError(f"{name}: expected input of shape (N, C, H, W) or (C, H, W), got {x.shape}")


def avg_pool2d(input: Any, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean of each kernel_size window, stepping by stride (default: kernel_size); zero padding
    counts in the divisor unless count_include_pad=False."""
    x = to_tensor(input)
    _check_input(x, "avg_pool2d")
    kernel = as_pair(kernel_size, "kernel_size", 1)
    stride_ = kernel if stride is None else as_pair(stride, "stride", 1)
    padding_ = as_pair(padding, "padding", 0)
    if any(2 * p > k for p, k in zip(padding_, kernel, strict=True)):
        raise RuntimeError(f"avg_pool2d: pad should be at most half of kernel size, but got "
                           f"padding={padding_} and kernel_size={kernel}")
    if divisor_override is not None and divisor_override <= 0:
        raise RuntimeError(f"avg_pool2d: divisor_override must be positive, got {divisor_override}")
    size = x.shape[-2:]
    axes = [_pool_axis(size[a], kernel[a], stride_[a], padding_[a], ceil_mode, count_include_pad)
            for a in (0, 1)]
    if min(len(starts) for starts, _, _ in axes) < 1:
        raise RuntimeError(f"avg_pool2d: given input size {tuple(size)}, the calculated output size "
                           f"{tuple(len(a[0]) for a in axes)} is too small (kernel {kernel}, padding "
                           f"{padding_})")
    if divisor_override is not None:
        rows = _averaging_matrix(size[0], axes[0][0], axes[0][1], [1.0] * len(axes[0][0]))
        cols = _averaging_matrix(size[1], axes[1][0], axes[1][1], [1.0 / divisor_override] * len(axes[1][0]))
    else:
        rows, cols = (_averaging_matrix(size[a], starts, ends, [1.0 / d for d in divisors])
                      for a, (starts, ends, divisors) in enumerate(axes))
    return SeparablePool.apply(x, rows=rows, cols=cols)


def _adaptive_matrix(size: int, out: int) -> Any:
    """PyTorch's adaptive windows: output o averages [floor(o·size/out), ceil((o+1)·size/out))."""
    starts = [o * size // out for o in range(out)]
    ends = [-(-(o + 1) * size // out) for o in range(out)]
    return _averaging_matrix(size, starts, ends, [1.0 / (e - s) for s, e in zip(starts, ends, strict=True)])


def adaptive_avg_pool2d(input: Any, output_size: int | Sequence[int | None] | None) -> Tensor:
    """Average pooling to a fixed (Ho, Wo) whatever the input size (None keeps that dim's size);
    windows need not divide the input evenly, as PyTorch."""
    x = to_tensor(input)
    _check_input(x, "adaptive_avg_pool2d")
    sizes = (output_size, output_size) if output_size is None or isinstance(output_size, int) \
        else tuple(output_size)
    if len(sizes) != 2:
        raise RuntimeError(f"adaptive_avg_pool2d: output_size must be 2 (an int or a pair), "
                           f"got {output_size!r}")
    out = tuple(x.shape[-2 + a] if s is None else s for a, s in enumerate(sizes))
    if any(not isinstance(s, int) or s < 0 for s in out):
        raise ValueError(f"adaptive_avg_pool2d: output_size must be non-negative ints, got {output_size!r}")
    if math.prod(x.shape[-2:]) == 0:
        raise RuntimeError(f"adaptive_avg_pool2d: expected input with non-zero H and W, got {x.shape}")
    rows, cols = (_adaptive_matrix(x.shape[-2 + a], out[a]) for a in (0, 1))
    return SeparablePool.apply(x, rows=rows, cols=cols)
