"""The functional API (as torch.nn.functional): ops re-exported plus composites."""

from __future__ import annotations

from collections.abc import Sequence

from npnn import backend, ops
from npnn._tensor import Tensor
from npnn.ops import (
    adaptive_avg_pool2d,
    avg_pool2d,
    batch_norm,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    conv2d,
    cross_entropy,
    dropout,
    dropout2d,
    elu,
    gelu,
    l1_loss,
    leaky_relu,
    linear,
    log_softmax,
    max_pool2d,
    mse_loss,
    nll_loss,
    pad,
    relu,
    sigmoid,
    smoothed_nll_loss,
    softmax,
    softplus,
    tanh,
)

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv2d", "cross_entropy", "dropout", "dropout2d", "elu",
    "gelu", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax", "max_pool2d",
    "mse_loss", "nll_loss", "normalize", "one_hot", "pad", "relu", "sigmoid", "silu",
    "smoothed_nll_loss", "softmax", "softplus", "tanh",
]


def silu(input: Tensor) -> Tensor:
    """x · sigmoid(x) (also called swish)."""
    return input * sigmoid(input)


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
