"""`torch.Tensor`'s everyday op methods, mixed into Tensor: arithmetic, reductions, shapes,
selections, sorting and activations (`x.sum(1)`, `x.view(-1, 784)`, `x.relu()`).

Each calls its op function in `npnn.ops` through `self._ops` (see tensor_methods.py, which
holds the rarer ones), so this module imports nothing above the tensor layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from npnn._tensor import Tensor

Dim = int | Sequence[int] | None  # the `dim` argument of reductions: one, several or all dims


class TensorMathMethods:
    """Mixed into Tensor, its one subclass."""

    _ops: Any
    ndim: int
    copy_: Any

    def add(self, other: Any) -> Tensor:
        return self._ops.add(self, other)

    def sub(self, other: Any) -> Tensor:
        return self._ops.sub(self, other)

    def mul(self, other: Any) -> Tensor:
        return self._ops.mul(self, other)

    def div(self, other: Any) -> Tensor:
        return self._ops.div(self, other)

    def pow(self, exponent: Any) -> Tensor:
        return self._ops.pow(self, exponent)

    def neg(self) -> Tensor:
        return self._ops.neg(self)

    def square(self) -> Tensor:
        return self._ops.square(self)

    def exp(self) -> Tensor:
        return self._ops.exp(self)

    def log(self) -> Tensor:
        return self._ops.log(self)

    def log1p(self) -> Tensor:
        return self._ops.log1p(self)

    def sqrt(self) -> Tensor:
        return self._ops.sqrt(self)

    def abs(self) -> Tensor:
        return self._ops.abs(self)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        return self._ops.clamp(self, min, max)

    clip = clamp

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        return self._ops.masked_fill(self, mask, value)

    def maximum(self, other: Any) -> Tensor:
        return self._ops.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return self._ops.minimum(self, other)

    def matmul(self, other: Any) -> Tensor:
        return self._ops.matmul(self, other)

    def sum(self, dim: Dim = None, keepdim: bool = False, **numpy_style: Any) -> Tensor:
        return self._ops.sum(self, dim, keepdim, **numpy_style)

    def mean(self, dim: Dim = None, keepdim: bool = False, **numpy_style: Any) -> Tensor:
        return self._ops.mean(self, dim, keepdim, **numpy_style)

    def var(self, dim: Dim = None, keepdim: bool = False, *, correction: int = 1,
            unbiased: bool | None = None, **numpy_style: Any) -> Tensor:
        return self._ops.var(self, dim, keepdim, correction=correction, unbiased=unbiased, **numpy_style)

    def std(self, dim: Dim = None, keepdim: bool = False, *, correction: int = 1,
            unbiased: bool | None = None, **numpy_style: Any) -> Tensor:
        return self._ops.std(self, dim, keepdim, correction=correction, unbiased=unbiased, **numpy_style)

    def norm(self, p: Any = "fro", dim: Dim = None, keepdim: bool = False) -> Tensor:
        return self._ops.norm(self, p, dim, keepdim)

    def max(self, dim: int | None = None, keepdim: bool = False, **numpy_style: Any) -> Any:
        return self._ops.max(self, dim, keepdim, **numpy_style)

    def min(self, dim: int | None = None, keepdim: bool = False, **numpy_style: Any) -> Any:
        return self._ops.min(self, dim, keepdim, **numpy_style)

    def amax(self, dim: Dim = None, keepdim: bool = False, **numpy_style: Any) -> Tensor:
        return self._ops.amax(self, dim, keepdim, **numpy_style)

    def amin(self, dim: Dim = None, keepdim: bool = False, **numpy_style: Any) -> Tensor:
        return self._ops.amin(self, dim, keepdim, **numpy_style)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return self._ops.argmax(self, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return self._ops.argmin(self, dim, keepdim)

    def reshape(self, *shape: Any) -> Tensor:
        return self._ops.reshape(self, *shape)

    view = reshape

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return self._ops.transpose(self, dim0, dim1)

    def permute(self, *dims: Any) -> Tensor:
        return self._ops.permute(self, *dims)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return self._ops.flatten(self, start_dim, end_dim)

    def ravel(self) -> Tensor:
        return self._ops.flatten(self)

    def squeeze(self, dim: Dim = None) -> Tensor:
        return self._ops.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Tensor:
        return self._ops.unsqueeze(self, dim)

    def expand(self, *shape: Any) -> Tensor:
        return self._ops.expand(self, *shape)

    def gather(self, dim: int, index: Any) -> Tensor:
        return self._ops.gather(self, dim, index)

    def scatter(self, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
        return self._ops.scatter(self, dim, index, src, value=value)

    def scatter_(self, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
        """In-place scatter, recorded in the graph as the other in-place updates:
        `zeros(10).scatter_(0, y, value=1)`."""
        return self.copy_(self._ops.scatter(self, dim, index, src, value=value))

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return self._ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return self._ops.chunk(self, chunks, dim)

    def t(self) -> Tensor:
        """Transpose a tensor of at most 2 dims (as torch.Tensor.t)."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dims, got {self.ndim}; use .mT or .T")
        return self._ops.permute(self, *reversed(range(self.ndim)))

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        return self._ops.sort(self, dim, descending, stable)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        return self._ops.topk(self, k, dim, largest, sorted)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        return self._ops.unbind(self, dim)

    def repeat(self, *sizes: Any) -> Tensor:
        return self._ops.repeat(self, *sizes)

    @property
    def T(self) -> Tensor:
        """Reverse all dimensions (PyTorch's `.T`; for 2-D, the matrix transpose)."""
        return self._ops.permute(self, *reversed(range(self.ndim)))

    @property
    def mT(self) -> Tensor:
        """Transpose the last two dimensions."""
        return self._ops.transpose(self, -2, -1)

    def relu(self) -> Tensor:
        return self._ops.relu(self)

    def sigmoid(self) -> Tensor:
        return self._ops.sigmoid(self)

    def tanh(self) -> Tensor:
        return self._ops.tanh(self)

    def softmax(self, dim: int) -> Tensor:
        return self._ops.softmax(self, dim)

    def log_softmax(self, dim: int) -> Tensor:
        return self._ops.log_softmax(self, dim)

