"""The functional API (as torch.nn.functional): ops re-exported plus composites."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from npnn import backend, ops
from npnn._tensor import Tensor
from npnn.nn.functional_attention import scaled_dot_product_attention
from npnn.ops import (
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    batch_norm,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    conv1d,
    conv2d,
    conv_transpose2d,
    cosine_embedding_loss,
    cross_entropy,
    ctc_loss,
    dropout2d,
    gaussian_nll_loss,
    gelu,
    glu,
    group_norm,
    hinge_embedding_loss,
    huber_loss,
    instance_norm,
    interpolate,
    kl_div,
    l1_loss,
    linear,
    log_softmax,
    logsigmoid,
    margin_ranking_loss,
    max_pool1d,
    max_pool2d,
    mse_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    nll_loss,
    pad,
    poisson_nll_loss,
    prelu,
    sigmoid,
    smooth_l1_loss,
    smoothed_nll_loss,
    soft_margin_loss,
    softmax,
    softmin,
    softplus,
    softsign,
    tanh,
    tanhshrink,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from npnn.ops import celu as _celu
from npnn.ops import dropout as _dropout
from npnn.ops import elu as _elu
from npnn.ops import embedding as _embedding
from npnn.ops import hardsigmoid as _hardsigmoid
from npnn.ops import hardswish as _hardswish
from npnn.ops import hardtanh as _hardtanh
from npnn.ops import leaky_relu as _leaky_relu
from npnn.ops import mish as _mish
from npnn.ops import relu as _relu
from npnn.ops import selu as _selu
from npnn.ops import threshold as _threshold
from npnn.ops.inplace import in_place

__all__ = [
    "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "celu", "celu_", "conv1d", "conv2d", "conv_transpose2d",
    "cosine_embedding_loss", "cosine_similarity", "cross_entropy", "ctc_loss", "dropout",
    "dropout2d", "elu", "elu_", "embedding", "gaussian_nll_loss", "gelu", "glu", "group_norm",
    "hardsigmoid", "hardswish", "hardtanh", "hardtanh_", "hinge_embedding_loss", "huber_loss",
    "instance_norm", "interpolate", "kl_div", "l1_loss", "layer_norm", "leaky_relu",
    "leaky_relu_", "linear", "log_softmax", "logsigmoid", "margin_ranking_loss", "max_pool1d",
    "max_pool2d", "mish", "mse_loss", "multi_margin_loss", "multilabel_margin_loss",
    "multilabel_soft_margin_loss", "nll_loss", "normalize", "one_hot", "pad",
    "pairwise_distance", "poisson_nll_loss", "prelu", "relu", "relu6", "relu_",
    "scaled_dot_product_attention", "selu", "selu_", "sigmoid", "silu", "smooth_l1_loss",
    "smoothed_nll_loss", "soft_margin_loss", "softmax", "softmin", "softplus", "softsign",
    "tanh", "tanhshrink", "threshold", "threshold_", "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]


# `inplace=True` (PyTorch's keyword) writes the result into the input and returns it, recorded
# in the graph as an in-place update (npnn.ops.inplace); it saves no memory in npnn.

def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); the gradient at 0 is 0."""
    result = _relu(input)  # the training step's activation: no further call unless in place
    return in_place(input, result) if inplace else result


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope · x."""
    return in_place(input, _leaky_relu(input, negative_slope), inplace)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha · (exp(x) - 1)."""
    return in_place(input, _elu(input, alpha), inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x · sigmoid(x) (also called swish)."""
    if not inplace:
        return input * sigmoid(input)
    x = input.clone()  # the product saves its factors, which the in-place write would change
    return in_place(input, x * sigmoid(x))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]."""
    return in_place(input, _hardtanh(input, min_val, max_val), inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale · elu(x, alpha) with SELU's fixed constants."""
    return in_place(input, _selu(input), inplace)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha · (exp(x / alpha) - 1)."""
    return in_place(input, _celu(input, alpha), inplace)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value."""
    return in_place(input, _threshold(input, threshold, value), inplace)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return in_place(input, _threshold(input, threshold, value))


# mish and hardswish keep their input for backward: in place they work on a copy, which the
# write into the input cannot change

def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x · tanh(softplus(x))."""
    return in_place(input, _mish(input.clone() if inplace else input), inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x · relu6(x + 3) / 6."""
    return in_place(input, _hardswish(input.clone() if inplace else input), inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return in_place(input, _hardsigmoid(input), inplace)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout; the identity when not training or p == 0."""
    return _dropout(input, p, training, inplace)


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the last len(normalized_shape) dims (biased variance), then scale and shift."""
    normalized_shape = tuple(normalized_shape)
    if input.shape[input.ndim - len(normalized_shape):] != normalized_shape:
        raise ValueError(f"layer_norm: input of shape {input.shape} does not end in the "
                         f"normalized_shape {normalized_shape}")
    dims = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    mean = ops.mean(input, dims, keepdim=True)
    var = ops.var(input, dims, keepdim=True, correction=0)
    out = (input - mean) / ops.sqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(‖input‖_p over dim, eps): unit-norm vectors along `dim`."""
    return input / ops.clamp(ops.norm(input, p, dim, keepdim=True), min=eps)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices in [0, num_classes) to one-hot int64 rows (num_classes=-1: max + 1)."""
    data = tensor.array
    if data.dtype.kind not in "iu":
        raise TypeError(f"one_hot needs integer class indices, got dtype {data.dtype}; use .long()")
    if data.size == 0 and num_classes < 0:
        raise ValueError("one_hot cannot infer the number of classes from an empty tensor; "
                         "pass num_classes")
    low, high = (int(data.min()), int(data.max())) if data.size else (0, -1)
    if low < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {low}")
    classes = high + 1 if num_classes < 0 else num_classes
    if high >= classes:
        raise ValueError(f"one_hot: class value {high} is out of range for num_classes={classes} "
                         f"(values must be in [0, {classes}))")
    eye = backend.get_array_module(data).eye(classes, dtype="int64")
    return Tensor(eye[data])


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """weight[input] for an integer index tensor of any shape; the padding_idx row gets no gradient.

    npnn does not support max_norm (renormalizing rows in place), scale_grad_by_freq or sparse
    gradients: they raise rather than being silently ignored.
    """
    unsupported = [name for name, used in (("max_norm", max_norm is not None),
                                           ("scale_grad_by_freq", scale_grad_by_freq),
                                           ("sparse", sparse)) if used]
    if unsupported:
        raise NotImplementedError(f"embedding: {', '.join(unsupported)} is not supported in npnn; "
                                  "leave it at its default (dense gradients, no renormalization)")
    return _embedding(input, weight, padding_idx)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Σ x1·x2 / (max(‖x1‖, eps) · max(‖x2‖, eps)) along `dim`, broadcasting x1 and x2.

    x1 and x2 are broadcast first, so a size-1 `dim` is repeated before its norm is taken; each
    norm is clamped on its own (as PyTorch), so a zero vector gives 0, not NaN.
    """
    shape = np.broadcast_shapes(x1.shape, x2.shape)
    x1 = x1 if x1.shape == shape else ops.expand(x1, shape)
    x2 = x2 if x2.shape == shape else ops.expand(x2, shape)
    return ops.sum(x1 / _norm_at_least(x1, dim, eps) * (x2 / _norm_at_least(x2, dim, eps)), dim)


def _norm_at_least(x: Tensor, dim: int, eps: float) -> Tensor:
    """max(‖x‖, eps) along `dim` whose gradient is the norm's own, as PyTorch's clamp (done
    there in place under no_grad): below eps the gradient still flows through the norm."""
    norm = ops.norm(x, 2, dim, keepdim=True)
    floor = norm.detach()
    return norm + (ops.clamp(floor, min=eps) - floor)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """‖x1 - x2 + eps‖_p over the last dim (eps keeps the norm differentiable at x1 == x2)."""
    difference = x1 - x2 + eps
    return ops.norm(difference, p, max(difference.ndim - 1, 0) if difference.ndim else None,
                    keepdim=keepdim)
