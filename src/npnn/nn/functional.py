"""The functional API (as torch.nn.functional): ops re-exported plus composites."""

from __future__ import annotations

from collections.abc import Sequence

from npnn import backend, ops
from npnn._tensor import Tensor
from npnn.autograd.grad_mode import no_grad
from npnn.ops import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    conv2d,
    cross_entropy,
    dropout,
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
    "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv2d", "cross_entropy",
    "dropout", "elu", "gelu", "l1_loss", "leaky_relu", "linear", "log_softmax", "max_pool2d", "mse_loss",
    "layer_norm", "nll_loss", "normalize", "one_hot", "pad", "relu", "sigmoid", "silu", "smoothed_nll_loss",
    "softmax", "softplus", "tanh",
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


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize over the batch (and length) dims; update running stats in training.

    Running variance uses the unbiased batch variance, normalization the biased one (as PyTorch).
    """
    axes = (0,) if input.ndim == 2 else (0, 2)
    shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // input.shape[1]
        if count < 2:
            raise ValueError(
                f"batch_norm in training needs more than one value per channel, got input "
                f"of shape {input.shape}; use a larger batch or call .eval()"
            )
        mean = ops.mean(input, axes, keepdim=True)
        var = ops.var(input, axes, keepdim=True, correction=0)
        if running_mean is not None and running_var is not None:
            with no_grad():
                running_mean.array[...] = ((1 - momentum) * running_mean.array
                                          + momentum * mean.array.reshape(-1))
                unbiased = var.array.reshape(-1) * (count / (count - 1))
                running_var.array[...] = (1 - momentum) * running_var.array + momentum * unbiased
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm in eval mode needs running_mean and running_var")
        mean = ops.reshape(running_mean, *shape)
        var = ops.reshape(running_var, *shape)
    out = (input - mean) / ops.sqrt(var + eps)
    if weight is not None:
        out = out * ops.reshape(weight, *shape)
    if bias is not None:
        out = out + ops.reshape(bias, *shape)
    return out


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
