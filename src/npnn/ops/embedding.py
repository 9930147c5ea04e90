"""embedding: rows of a weight matrix picked by integer indices of any shape.

The backward adds each output row's gradient into the row it was read from (repeated indices
accumulate), except the `padding_idx` row, which gets no gradient (as PyTorch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor
from npnn.autograd.function import Function


class Embedding(Function):
    def forward(self, weight, indices=None, padding_idx=None):
        self.indices, self.weight_shape, self.padding_idx = indices, weight.shape, padding_idx
        return weight[indices]

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        grad = xp.zeros(self.weight_shape, dtype=grad_output.dtype)
        # repeated indices must add up, which plain assignment would not do
        xp.add.at(grad, self.indices.reshape(-1), grad_output.reshape(-1, self.weight_shape[1]))
        if self.padding_idx is not None:
            grad[self.padding_idx] = 0
        return grad


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """weight[input]: an integer index tensor of shape S gives rows of shape (*S, embedding_dim).

    Indices must lie in [0, num_embeddings) (no negative wrap-around, as PyTorch); the
    `padding_idx` row (negative counts from the end) receives no gradient.
    """
    indices = input.array if isinstance(input, Tensor) else np.asarray(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor (int64 or int32), got dtype "
                        f"{indices.dtype}; use .long()")
    if weight.ndim != 2:
        raise ValueError(f"embedding: 'weight' must be 2-D (num_embeddings, embedding_dim), got shape "
                         f"{weight.shape}")
    rows = weight.shape[0]
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= rows):
        bad = int(indices.min()) if int(indices.min()) < 0 else int(indices.max())
        raise IndexError(f"embedding: index {bad} is out of range: indices must be in [0, {rows}) "
                         f"for {rows} embeddings")
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(f"Padding_idx must be within num_embeddings: got {padding_idx} for "
                             f"{rows} embeddings")
        padding_idx = padding_idx % rows
    # a copy, on the weight's device: the backward adds into the rows read now, even if the
    # caller's index tensor (a reused loader buffer) is changed before it runs
    indices = backend.get_array_module(weight.array).array(indices, copy=True)
    return Embedding.apply(weight, indices=indices, padding_idx=padding_idx)
