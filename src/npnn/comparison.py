"""Whole-tensor comparisons that answer with a Python bool: allclose, equal (as PyTorch's)."""

from __future__ import annotations

from typing import Any

from npnn import backend
from npnn._tensor import Tensor


def _array(value: Any) -> Any:
    return value.array if isinstance(value, Tensor) else value


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True when |input - other| <= atol + rtol * |other| everywhere (with broadcasting)."""
    a, b = _array(input), _array(other)
    return bool(backend.get_array_module(a, b).allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both have the same shape and the same values."""
    a, b = _array(input), _array(other)
    return a.shape == b.shape and bool((a == b).all())


def all(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """A bool tensor: whether every element (along `dim`) is nonzero."""
    array = input.array
    return Tensor(backend.get_array_module(array).all(array, axis=dim, keepdims=keepdim))


def any(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """A bool tensor: whether any element (along `dim`) is nonzero."""
    array = input.array
    return Tensor(backend.get_array_module(array).any(array, axis=dim, keepdims=keepdim))
