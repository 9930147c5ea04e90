"""Flatten parameters into one vector and back (for line searches, analysis)."""

from __future__ import annotations

from collections.abc import Iterable

from npnn import backend
from npnn._tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    params = list(parameters)
    xp = backend.get_array_module(*(p.array for p in params))
    return Tensor(xp.concatenate([p.array.reshape(-1) for p in params]))


def vector_to_parameters(vector: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of `vector` into the parameters, in place."""
    offset = 0
    for p in parameters:
        size = p.array.size
        p.array[...] = vector.array[offset:offset + size].reshape(p.shape)
        offset += size
    if offset != vector.array.size:
        raise ValueError(f"vector has {vector.array.size} elements, parameters need {offset}")
