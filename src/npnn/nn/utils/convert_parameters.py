"""Flatten parameters into one vector and back (for line searches, analysis)."""

from __future__ import annotations

from collections.abc import Iterable

from npnn import backend
from npnn._tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    params = list(parameters)
    xp = backend.get_array_module(*(p.data for p in params))
    return Tensor(xp.concatenate([p.data.reshape(-1) for p in params]))


def vector_to_parameters(vector: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of `vector` into the parameters, in place."""
    offset = 0
    for p in parameters:
        size = p.data.size
        p.data[...] = vector.data[offset:offset + size].reshape(p.shape)
        offset += size
    if offset != vector.data.size:
        raise ValueError(f"vector has {vector.data.size} elements, parameters need {offset}")
