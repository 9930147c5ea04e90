"""Functional image layers composed of other ops, as torch.nn.functional's: local_response_norm,
lp_pool1d / lp_pool2d, bilinear, alpha_dropout and feature_alpha_dropout (the SELU nets' dropout).
Each follows PyTorch's own composition, so values and gradients agree with it."""

from __future__ import annotations

import math
from typing import Any

from npnn import backend, ops, random
from npnn._tensor import Tensor, to_tensor
from npnn.ops.activation import SelectingReLU
from npnn.ops.conv import Pair, as_pair
from npnn.ops.inplace import in_place

_SELU_ALPHA = 1.7580993408473766  # -scale · alpha of SELU: the value SELU saturates to


def local_response_norm(input: Any, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """x / (k + alpha · mean of x² over `size` neighbouring channels)^beta (AlexNet's LRN); the
    window is centred, zero-padded at the ends, and the mean divides by `size`."""
    x = to_tensor(input)
    if x.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got "
                         f"{x.ndim} dimensions)")
    if x.numel() == 0:
        return x
    n, channels = x.shape[:2]
    squares = (x * x).reshape(n, 1, channels, -1)  # (N, 1, C, rest): the channel window is a pool
    squares = ops.pad(squares, (0, 0, size // 2, (size - 1) // 2))
    mean = ops.avg_pool2d(squares, (size, 1), stride=1).reshape(x.shape)
    return x / (mean * alpha + k) ** beta


def lp_pool2d(input: Any, norm_type: float, kernel_size: Pair, stride: Pair | None = None,
              ceil_mode: bool = False) -> Tensor:
    """(Σ x^p over each window)^(1/p), as PyTorch: the window mean of x^p times the window area;
    p = 1 is sum pooling, large p approaches max pooling."""
    x = to_tensor(input)
    kernel = as_pair(kernel_size, "kernel_size", 1)
    batched = x if x.ndim != 3 else x.unsqueeze(0)
    if math.isinf(norm_type):  # PyTorch: the largest (p = inf) or smallest (-inf) |x| of each window
        sign = 1 if norm_type > 0 else -1
        out = sign * ops.max_pool2d(sign * ops.abs(batched), kernel, stride, 0, 1, ceil_mode)
        return out if x.ndim != 3 else out.squeeze(0)
    out = ops.avg_pool2d(batched ** norm_type, kernel, stride, 0, ceil_mode)
    out = out if x.ndim != 3 else out.squeeze(0)
    return _root(out, kernel[0] * kernel[1], norm_type)


def lp_pool1d(input: Any, norm_type: float, kernel_size: int, stride: int | None = None,
              ceil_mode: bool = False) -> Tensor:
    """(Σ x^p over each window of (N, C, L))^(1/p), as PyTorch."""
    x = to_tensor(input)
    if not isinstance(kernel_size, int):
        (kernel_size,) = kernel_size
    if math.isinf(norm_type):  # as lp_pool2d
        sign = 1 if norm_type > 0 else -1
        return sign * ops.max_pool1d(sign * ops.abs(x), kernel_size, stride, 0, 1, ceil_mode)
    out = ops.avg_pool1d(x ** norm_type, kernel_size, stride, 0, ceil_mode)
    return _root(out, kernel_size, norm_type)


def _root(mean: Tensor, area: int, norm_type: float) -> Tensor:
    """(sign(mean) · relu(|mean|) · area)^(1/p): PyTorch's last step of LP pooling. Its relu
    selects the gradient, so that a window of zeros (after a ReLU) gets gradient 0 from the
    root's infinite slope there, as PyTorch's."""
    return (ops.sign(mean) * SelectingReLU.apply(ops.abs(mean)) * area) ** (1.0 / norm_type)


def bilinear(input1: Any, input2: Any, weight: Any, bias: Any = None) -> Tensor:
    """y[..., o] = Σ_ij x1[..., i] · weight[o, i, j] · x2[..., j] + bias[o]."""
    x1, x2, weight = to_tensor(input1), to_tensor(input2), to_tensor(weight)
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional (out, in1, in2), got "
                           f"{weight.ndim}D")
    if x1.ndim != x2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {x1.ndim} and {x2.ndim}")
    for dim in range(x1.ndim - 1):
        if x1.shape[dim] != x2.shape[dim]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {dim}: got "
                               f"{x1.shape[dim]} and {x2.shape[dim]}")
    for number, x, axis in ((1, x1, 1), (2, x2, 2)):
        if x.shape[-1] != weight.shape[axis]:
            raise RuntimeError(f"bilinear(): input{number} size does not match weight size: got "
                               f"{x.shape[-1]} but expected {weight.shape[axis]}")
    out = ops.einsum("...i,oij,...j->...o", x1, weight, x2)
    if bias is None:
        return out
    bias = to_tensor(bias)
    if bias.shape[-1] != weight.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[-1]} but "
                           f"expected {weight.shape[0]}")
    return out + bias


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _alpha_dropout(x: Tensor, p: float, mask_shape: tuple[int, ...], inplace: bool,
                   generator: random.Generator | None) -> Tensor:
    """x · a·m + (m - 1)·alpha'·a + alpha'·a·p with m ~ Bernoulli(1 - p): dropped units take
    SELU's saturation value, then an affine map restores zero mean and unit variance."""
    if p == 1.0:  # PyTorch multiplies by zeros
        return in_place(x, x * 0.0, inplace)
    keep = random.resolve(generator).random(mask_shape, dtype="float32") >= p
    keep = backend.to_device(keep.astype(x.dtype), backend.device_of(x.array))
    a = 1.0 / math.sqrt((_SELU_ALPHA ** 2 * p + 1) * (1 - p))
    shift = (keep - 1) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p
    return in_place(x, x * Tensor((keep * a).astype(x.dtype)) + Tensor(shift.astype(x.dtype)), inplace)


def alpha_dropout(input: Any, p: float = 0.5, training: bool = False, inplace: bool = False,
                  generator: random.Generator | None = None) -> Tensor:
    """Dropout for SELU networks: dropped elements are set to SELU's negative saturation and the
    result rescaled so inputs of zero mean and unit variance keep them; the identity when not
    training (the default here, as PyTorch's) or p == 0. The draws are npnn's, not torch's."""
    _check_p(p)
    x = to_tensor(input)
    if not training or p == 0.0 or x.numel() == 0:
        return x
    return _alpha_dropout(x, p, x.shape, inplace, generator)


def feature_alpha_dropout(input: Any, p: float = 0.5, training: bool = False, inplace: bool = False,
                          generator: random.Generator | None = None) -> Tensor:
    """alpha_dropout of whole channels: one draw per (sample, channel) of (N, C, *)."""
    _check_p(p)
    x = to_tensor(input)
    if not training or p == 0.0 or x.numel() == 0:
        return x
    if x.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return _alpha_dropout(x, p, x.shape[:2] + (1,) * (x.ndim - 2), inplace, generator)

