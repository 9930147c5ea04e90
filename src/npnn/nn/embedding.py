"""nn.Embedding: a lookup table of learnable vectors, indexed by integer tensors."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor
from npnn.nn import functional as F
from npnn.nn import init
from npnn.nn.module import Module
from npnn.nn.parameter import Parameter


class Embedding(Module):
    """weight[input] with weight of shape (num_embeddings, embedding_dim), initialized N(0, 1).

    The `padding_idx` row starts at zero and gets no gradient, so it stays as it is (as PyTorch).
    max_norm, scale_grad_by_freq and sparse=True are not supported by npnn and raise.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: Tensor | None = None, _freeze: bool = False,
                 device: Any = None, dtype: Any = None, *, generator: Any = None) -> None:
        super().__init__()
        for name, used in (("max_norm", max_norm is not None), ("scale_grad_by_freq", scale_grad_by_freq),
                           ("sparse", sparse)):
            if used:
                raise NotImplementedError(f"Embedding: {name} is not supported in npnn; leave it at "
                                          "its default (dense gradients, no renormalization)")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Padding_idx must be within num_embeddings: got {padding_idx} for "
                                 f"{num_embeddings} embeddings")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dtype = backend.resolve_float_dtype(dtype)
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters(generator)
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight of shape {tuple(_weight.shape)} does not match "
                                 f"(num_embeddings, embedding_dim) = {(num_embeddings, embedding_dim)}")
            self.weight = Parameter(_weight, requires_grad=not _freeze)
        if device is not None:
            self.to(device)

    def reset_parameters(self, generator: Any = None) -> None:
        init.normal_(self.weight, generator=generator)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, sparse: bool = False) -> Embedding:
        """An Embedding whose weight is `embeddings` (memory shared); frozen unless freeze=False.

        As PyTorch, the padding_idx row is kept as given (not zeroed), but gets no gradient.
        """
        if embeddings.ndim != 2:
            raise ValueError(f"Embeddings parameter is expected to be 2-dimensional, got shape "
                             f"{tuple(embeddings.shape)}")
        rows, dim = embeddings.shape
        return cls(rows, dim, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)
