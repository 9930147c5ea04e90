"""`Tensor`: an array, its gradient, and the graph node that produced it.

Dunder methods and tensor methods only call the op functions in `npnn.ops`;
all differentiation lives in the ops' `Function` classes.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from npnn import backend
from npnn.autograd import engine
from npnn.autograd.function import Function
from npnn.dtypes import scalar_dtype, to_array
from npnn.tensor_conversions import TensorConversions, unwrap_index

Dim = int | Sequence[int] | None


def as_tensor(value: Any, like: Sequence[Any] = ()) -> Tensor:
    """Return `value` as a Tensor; a Python scalar takes the dtype of the tensors in `like`."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, int, float)):
        dtype = scalar_dtype(value, like)
        xp = np
        for other in like:
            if isinstance(other, Tensor):
                xp = backend.get_array_module(other.data)
                break
        return Tensor(xp.asarray(value, dtype=dtype))
    return Tensor(value)


def _elementwise_test(compare: Callable[[Any, Any], Any]) -> Callable[[Tensor, Any], Tensor]:
    """A comparison dunder: compares the data elementwise, returns a boolean tensor without graph."""

    def method(self: Tensor, other: Any) -> Tensor:
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._from_op(compare(self.data, other), None)

    method.__name__ = f"__{compare.__name__.strip('_')}__"
    return method


class Tensor(TensorConversions):
    """An N-d array with reverse-mode autograd.

    Differs from PyTorch: no views or in-place autograd; `data` is a plain NumPy
    (or CuPy) array that optimizers update in place.
    """

    __array_priority__ = 1000  # so ndarray <op> Tensor defers to Tensor's reflected op

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        self.data = to_array(data, dtype)
        self.grad: Any = None
        self.grad_fn: Function | None = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _from_op(cls, data: Any, node: Function | None) -> Tensor:
        tensor = cls.__new__(cls)
        tensor.data = data
        tensor.grad = None
        tensor.grad_fn = node
        tensor._requires_grad = node is not None
        return tensor

    # ----- autograd state -----
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only floating-point tensors can require gradients, got dtype {self.data.dtype}; "
                "convert with .float() first (integer tensors such as labels never need grad)"
            )
        if not value and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad can only be turned off on leaf tensors; use .detach() instead"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def backward(self, gradient: Any = None, retain_graph: bool = False) -> None:
        """Accumulate gradients of this tensor into every leaf that requires grad.

        A non-scalar tensor needs `gradient`: the vector in the vector-Jacobian product.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input of the "
                "computation had requires_grad=True (or it ran inside no_grad())"
            )
        xp = backend.get_array_module(self.data)
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient works only for a scalar output, but this "
                    f"tensor has shape {self.shape}; pass gradient=<tensor of shape {self.shape}> "
                    "(e.g. npnn.ones_like(out)) or reduce it first (out.sum(), out.mean())"
                )
            gradient = xp.ones_like(self.data)
        else:
            gradient = to_array(gradient)
            if gradient.shape != self.shape:
                raise RuntimeError(
                    f"backward(gradient) needs a gradient of the output's shape {self.shape}, "
                    f"got {gradient.shape}"
                )
            gradient = gradient.astype(self.dtype, copy=False)
        engine.run_backward(self, gradient, retain_graph=retain_graph)

    def detach(self) -> Tensor:
        """The same data without a graph (shares memory, as in PyTorch)."""
        return Tensor._from_op(self.data, None)

    # ----- array facts -----
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    def size(self, dim: int | None = None) -> Any:
        """The shape as a tuple, or one dimension's length (PyTorch's `size()`; see `numel`)."""
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        return int(self.data.size)

    def dim(self) -> int:
        return self.data.ndim

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def item(self) -> Any:
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.reshape(()).item()

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iu":
            raise TypeError("only integer tensors can be used as an index")
        return int(self.item())

    __hash__ = object.__hash__

    # ----- operators -----
    def __add__(self, other: Any) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.div(other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        return ops.pow(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return ops.pow(base, self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return ops.abs(self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, unwrap_index(index))

    # comparisons and logic give plain boolean tensors (no graph)
    __eq__ = _elementwise_test(operator.eq)  # type: ignore[assignment]
    __ne__ = _elementwise_test(operator.ne)  # type: ignore[assignment]
    __lt__ = _elementwise_test(operator.lt)
    __le__ = _elementwise_test(operator.le)
    __gt__ = _elementwise_test(operator.gt)
    __ge__ = _elementwise_test(operator.ge)
    __and__ = _elementwise_test(operator.and_)
    __or__ = _elementwise_test(operator.or_)
    eq = __eq__

    def __invert__(self) -> Tensor:
        return Tensor._from_op(~self.data, None)

    def any(self) -> Tensor:
        return Tensor._from_op(self.data.any(), None)

    def all(self) -> Tensor:
        return Tensor._from_op(self.data.all(), None)

    # ----- op methods -----
    def add(self, other: Any) -> Tensor:
        return ops.add(self, other)

    def sub(self, other: Any) -> Tensor:
        return ops.sub(self, other)

    def mul(self, other: Any) -> Tensor:
        return ops.mul(self, other)

    def div(self, other: Any) -> Tensor:
        return ops.div(self, other)

    def pow(self, exponent: Any) -> Tensor:
        return ops.pow(self, exponent)

    def neg(self) -> Tensor:
        return ops.neg(self)

    def exp(self) -> Tensor:
        return ops.exp(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def sqrt(self) -> Tensor:
        return ops.sqrt(self)

    def abs(self) -> Tensor:
        return ops.abs(self)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        return ops.clamp(self, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        return ops.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return ops.minimum(self, other)

    def matmul(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def sum(self, dim: Dim = None, keepdim: bool = False, **numpy_style: Any) -> Tensor:
        return ops.sum(self, dim, keepdim, **numpy_style)

    def mean(self, dim: Dim = None, keepdim: bool = False, **numpy_style: Any) -> Tensor:
        return ops.mean(self, dim, keepdim, **numpy_style)

    def var(self, dim: Dim = None, keepdim: bool = False, *, correction: int = 1,
            unbiased: bool | None = None, **numpy_style: Any) -> Tensor:
        return ops.var(self, dim, keepdim, correction=correction, unbiased=unbiased, **numpy_style)

    def std(self, dim: Dim = None, keepdim: bool = False, *, correction: int = 1,
            unbiased: bool | None = None, **numpy_style: Any) -> Tensor:
        return ops.std(self, dim, keepdim, correction=correction, unbiased=unbiased, **numpy_style)

    def max(self, dim: int | None = None, keepdim: bool = False, **numpy_style: Any) -> Any:
        return ops.max(self, dim, keepdim, **numpy_style)

    def min(self, dim: int | None = None, keepdim: bool = False, **numpy_style: Any) -> Any:
        return ops.min(self, dim, keepdim, **numpy_style)

    def amax(self, dim: Dim = None, keepdim: bool = False, **numpy_style: Any) -> Tensor:
        return ops.amax(self, dim, keepdim, **numpy_style)

    def amin(self, dim: Dim = None, keepdim: bool = False, **numpy_style: Any) -> Tensor:
        return ops.amin(self, dim, keepdim, **numpy_style)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return ops.argmax(self, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return ops.argmin(self, dim, keepdim)

    def reshape(self, *shape: Any) -> Tensor:
        return ops.reshape(self, *shape)

    view = reshape

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return ops.transpose(self, dim0, dim1)

    def permute(self, *dims: Any) -> Tensor:
        return ops.permute(self, *dims)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return ops.flatten(self, start_dim, end_dim)

    def squeeze(self, dim: Dim = None) -> Tensor:
        return ops.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Tensor:
        return ops.unsqueeze(self, dim)

    def expand(self, *shape: Any) -> Tensor:
        return ops.expand(self, *shape)

    @property
    def T(self) -> Tensor:
        """Reverse all dimensions (PyTorch's `.T`; for 2-D, the matrix transpose)."""
        return ops.permute(self, *reversed(range(self.ndim)))

    @property
    def mT(self) -> Tensor:
        """Transpose the last two dimensions."""
        return ops.transpose(self, -2, -1)

    def relu(self) -> Tensor:
        return ops.relu(self)

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)

    def tanh(self) -> Tensor:
        return ops.tanh(self)

    def softmax(self, dim: int) -> Tensor:
        return ops.softmax(self, dim)

    def log_softmax(self, dim: int) -> Tensor:
        return ops.log_softmax(self, dim)


from npnn import ops  # noqa: E402  (ops import Tensor; bound after the class exists)
