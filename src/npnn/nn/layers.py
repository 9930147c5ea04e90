"""Layers: Identity, Linear, Flatten, Unflatten, Dropout(2d), LayerNorm (batch norm: normalization.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from npnn import backend, ops
from npnn._tensor import Tensor
from npnn.nn import functional as F
from npnn.nn import init
from npnn.nn.module import Module
from npnn.nn.parameter import Parameter, weight_and_bias


class Identity(Module):
    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """y = x @ weight.T + bias, with PyTorch's default init U(-1/√in, 1/√in) for both."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None, *, generator: Any = None) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight, self.bias = weight_and_bias((out_features, in_features), bias, dtype)
        self.reset_parameters(generator)
        if device is not None:
            self.to(device)

    def reset_parameters(self, generator: Any = None) -> None:
        init.layer_default_(self.weight, self.bias, generator)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Flatten(Module):
    """Flatten dims start_dim..end_dim (default: all but the batch dim)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        return ops.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim `dim` into `unflattened_size` (one entry may be -1, inferred), as Tensor.unflatten."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"unflattened_size must be a tuple or list of ints, got "
                            f"{type(unflattened_size).__name__}")
        for position, size in enumerate(unflattened_size):
            if not isinstance(size, int):
                raise TypeError(f"unflattened_size must be tuple of ints, but found element of type "
                                f"{type(size).__name__} at pos {position}")
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        dim = self.dim + input.ndim if self.dim < 0 else self.dim
        if not 0 <= dim < input.ndim:
            raise IndexError(f"Unflatten: dim {self.dim} is out of range for an input of {input.ndim} dims")
        sizes, length = list(self.unflattened_size), input.shape[dim]
        known = int(np.prod([n for n in sizes if n != -1]))
        if sizes.count(-1) > 1 or (-1 in sizes and (known == 0 or length % known)) or (
                -1 not in sizes and known != length):
            raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of dim "
                               f"{dim} ({length}) in the input tensor")
        return ops.reshape(input, (*input.shape[:dim], *sizes, *input.shape[dim + 1:]))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class _DropoutNd(Module):
    """The dropout layers' probability check and repr, as torch's `_DropoutNd`."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Inverted dropout in training mode; the identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) in training mode, scaling the rest by 1/(1-p); the
    identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)


class LayerNorm(Module):
    """Normalize over the trailing `normalized_shape` dims, with a learnable scale and shift."""

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        dtype = backend.resolve_float_dtype(dtype)
        affine, shift = elementwise_affine, elementwise_affine and bias
        self.register_parameter("weight", Parameter(np.ones(shape, dtype=dtype)) if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(shape, dtype=dtype)) if shift else None)
        if device is not None:
            self.to(device)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
