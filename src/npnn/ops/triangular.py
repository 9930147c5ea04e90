"""Triangles and diagonals of matrices: tril, triu, diag, diagonal.

tril/triu keep the part of the last two dims on one side of a diagonal; diagonal reads a
diagonal out (a writeable view, as PyTorch's: x.diagonal().add_(1) changes x) and diag builds
or reads one of a matrix.
"""

from __future__ import annotations

from typing import Any

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.shape import _wrap_dim


class KeepTriangle(Function):
    def forward(self, a, diagonal=0, lower=True):
        xp = backend.get_array_module(a)
        rows, cols = a.shape[-2:]
        keep = xp.tri(rows, cols, diagonal, dtype=bool)
        self.keep = keep if lower else ~xp.tri(rows, cols, diagonal - 1, dtype=bool)
        return xp.where(self.keep, a, xp.zeros((), a.dtype))

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        return xp.where(self.keep, grad_output, xp.zeros((), grad_output.dtype))


def _triangle(input: Any, diagonal: int, lower: bool) -> Tensor:
    input = to_tensor(input)
    if input.ndim < 2:
        raise RuntimeError(f"{'tril' if lower else 'triu'}: input tensor must have at least 2 dimensions")
    return KeepTriangle.apply(input, diagonal=int(diagonal), lower=lower)


def tril(input: Any, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (on and below `diagonal`), the rest zero."""
    return _triangle(input, diagonal, True)


def triu(input: Any, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (on and above `diagonal`), the rest zero."""
    return _triangle(input, diagonal, False)


def _diagonal_index(shape: tuple[int, ...], offset: int, xp: Any) -> tuple[Any, Any]:
    """Row and column indices of diagonal `offset` of a (rows, cols) matrix."""
    rows, cols = shape
    start_row, start_col = max(-offset, 0), max(offset, 0)
    length = max(min(rows - start_row, cols - start_col), 0)
    steps = xp.arange(length)
    return steps + start_row, steps + start_col


class Diagonal(Function):
    def forward(self, a, offset=0, dim1=0, dim2=1, copy=False):
        xp = backend.get_array_module(a)
        self.shape, self.offset, self.dims = a.shape, offset, (dim1, dim2)
        self.rows, self.cols = _diagonal_index((a.shape[dim1], a.shape[dim2]), offset, xp)
        return self.view(a).copy() if copy else self.view(a)

    def view(self, array):
        """The diagonal as a writeable view of `array` (NumPy's own diagonal is read-only):
        one stride that steps a row and a column at once."""
        xp = backend.get_array_module(array)
        moved = xp.moveaxis(array, self.dims, (-2, -1))
        start = moved[..., max(-self.offset, 0):, max(self.offset, 0):]
        strides = (*start.strides[:-2], start.strides[-2] + start.strides[-1])
        return xp.lib.stride_tricks.as_strided(start, (*start.shape[:-2], len(self.rows)), strides)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        moved_shape = [s for d, s in enumerate(self.shape) if d not in self.dims]
        moved_shape += [self.shape[self.dims[0]], self.shape[self.dims[1]]]
        grad = xp.zeros(moved_shape, grad_output.dtype)
        grad[..., self.rows, self.cols] = grad_output
        return xp.moveaxis(grad, (-2, -1), self.dims)


def diagonal(input: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """Diagonal `offset` of the matrices in dims (dim1, dim2), as the last dim of the result."""
    input = to_tensor(input)
    if input.ndim < 2:
        raise RuntimeError(f"diagonal dimensions requires ndim larger than 1, got {input.ndim}")
    dim1, dim2 = _wrap_dim(dim1, input.ndim, "diagonal"), _wrap_dim(dim2, input.ndim, "diagonal")
    if dim1 == dim2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, offset=int(offset), dim1=dim1, dim2=dim2)


class DiagEmbed(Function):
    def forward(self, a, offset=0):
        xp = backend.get_array_module(a)
        n = a.shape[0] + abs(offset)
        self.rows, self.cols = _diagonal_index((n, n), offset, xp)
        out = xp.zeros((n, n), a.dtype)
        out[self.rows, self.cols] = a
        return out

    def backward(self, grad_output):
        return grad_output[self.rows, self.cols]


def diag(input: Any, diagonal: int = 0) -> Tensor:
    """A vector's square matrix with it on diagonal `diagonal`, or a matrix's diagonal."""
    input = to_tensor(input)
    if input.ndim == 1:
        return DiagEmbed.apply(input, offset=int(diagonal))
    if input.ndim == 2:  # a copy, as PyTorch's diag (diagonal is the view)
        return Diagonal.apply(input, offset=int(diagonal), dim1=0, dim2=1, copy=True)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


