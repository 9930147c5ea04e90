"""The functional API (as torch.nn.functional): ops re-exported plus composites."""

from __future__ import annotations

from npnn import backend, ops
from npnn.autograd.grad_mode import no_grad
from npnn.ops import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    dropout,
    elu,
    gelu,
    l1_loss,
    leaky_relu,
    linear,
    log_softmax,
    mse_loss,
    nll_loss,
    pad,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from npnn.tensor import Tensor

__all__ = [
    "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "dropout", "elu", "gelu", "l1_loss", "leaky_relu", "linear", "log_softmax", "mse_loss",
    "nll_loss", "one_hot", "pad", "relu", "sigmoid", "softmax", "tanh",
]


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
                running_mean.data[...] = ((1 - momentum) * running_mean.data
                                          + momentum * mean.data.reshape(-1))
                unbiased = var.data.reshape(-1) * (count / (count - 1))
                running_var.data[...] = (1 - momentum) * running_var.data + momentum * unbiased
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
    """Class indices (int) to one-hot int64 rows."""
    data = tensor.data
    classes = int(data.max()) + 1 if num_classes < 0 else num_classes
    eye = backend.get_array_module(data).eye(classes, dtype="int64")
    return Tensor(eye[data])
