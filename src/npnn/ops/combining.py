"""Products and rearrangements with PyTorch's names: cross, kron, cartesian_prod, combinations,
rot90, flipud, fliplr, trace.

Each is composed of differentiable ops (getitem, mul, stack, flip, transpose, diagonal, sum),
so gradients come with them.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.dtypes import torch_name
from npnn.ops.elementwise import mul, sub
from npnn.ops.reduction import sum
from npnn.ops.reorder import broadcast_tensors, flip, meshgrid
from npnn.ops.shape import _wrap_dim, getitem, reshape, stack, transpose
from npnn.ops.triangular import diagonal


def cross(input: Any, other: Any, dim: int | None = None) -> Tensor:
    """The cross product of 3-vectors along `dim` (the other dims broadcast; equal ranks). Without `dim`, the
    first dim of size 3, with PyTorch's deprecation warning: pass dim (linalg.cross uses -1)."""
    a, b = to_tensor(input), to_tensor(other)
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {torch_name(a.dtype)} but found "
                           f"{torch_name(b.dtype)}")
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either "
                      "pass the dim explicitly or simply use torch.linalg.cross.\nThe default value of "
                      "dim will change to agree with that of linalg.cross in a future release.",
                      UserWarning, stacklevel=2)
        shape = np.broadcast_shapes(a.shape, b.shape)
        dim = next((d for d, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    ndim = max(a.ndim, b.ndim)
    dim = _wrap_dim(dim, ndim, "cross")
    size_a = a.shape[dim - ndim + a.ndim] if dim - ndim + a.ndim >= 0 else 1
    size_b = b.shape[dim - ndim + b.ndim] if dim - ndim + b.ndim >= 0 else 1
    if size_a != 3 or size_b != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. "
                           f"Got {size_a} and {size_b}")
    a, b = broadcast_tensors(a, b)

    def part(t: Tensor, i: int) -> Tensor:
        return getitem(t, (slice(None),) * dim + (i,))

    x = [part(a, i) for i in range(3)]
    y = [part(b, i) for i in range(3)]
    return stack([sub(mul(x[1], y[2]), mul(x[2], y[1])), sub(mul(x[2], y[0]), mul(x[0], y[2])),
                  sub(mul(x[0], y[1]), mul(x[1], y[0]))], dim)


def kron(input: Any, other: Any) -> Tensor:
    """The Kronecker product: block (i, j, ...) is input[i, j, ...] · other (shapes aligned at
    the right, as PyTorch)."""
    a, b = to_tensor(input), to_tensor(other)
    ndim = max(a.ndim, b.ndim)
    shape_a = (1,) * (ndim - a.ndim) + a.shape
    shape_b = (1,) * (ndim - b.ndim) + b.shape
    spread_a = reshape(a, *itertools.chain.from_iterable((n, 1) for n in shape_a)) if ndim else a
    spread_b = reshape(b, *itertools.chain.from_iterable((1, n) for n in shape_b)) if ndim else b
    return reshape(mul(spread_a, spread_b), *(m * n for m, n in zip(shape_a, shape_b, strict=True)))


def _vector(tensor: Any) -> Tensor:
    tensor = to_tensor(tensor)
    if tensor.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(tensor.shape)}")
    return tensor


def cartesian_prod(*tensors: Any) -> Tensor:
    """Every combination of one element from each 1-D tensor, as rows (one tensor: itself)."""
    tensors = tuple(_vector(t) for t in tensors)
    if len(tensors) == 1:
        return tensors[0]
    return stack([reshape(grid, -1) for grid in meshgrid(*tensors, indexing="ij")], 1)


def combinations(input: Any, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-r combinations of a 1-D tensor's elements, as rows (itertools' order)."""
    input = _vector(input)
    if r == 0:  # PyTorch: an empty 1-D tensor
        return getitem(input, np.zeros(0, dtype=np.int64))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    xp = backend.get_array_module(input.array)
    return getitem(input, xp.asarray(rows))


def rot90(input: Any, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by k quarter turns in the plane of `dims`, from the first toward the second."""
    input = to_tensor(input)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = (_wrap_dim(d, input.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return transpose(flip(input, [d1]), d0, d1)
    if k == 2:
        return flip(input, [d0, d1])
    if k == 3:
        return transpose(flip(input, [d0]), d0, d1)
    return input.clone()


def flipud(input: Any) -> Tensor:
    """Reverse dim 0 (rows)."""
    input = to_tensor(input)
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, [0])


def fliplr(input: Any) -> Tensor:
    """Reverse dim 1 (columns)."""
    input = to_tensor(input)
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, [1])


def trace(input: Any) -> Tensor:
    """The sum of a matrix's main diagonal (integers sum as int64, as PyTorch)."""
    input = to_tensor(input)
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    if input.dtype == bool:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'; convert with .long() first")
    return sum(diagonal(input))
