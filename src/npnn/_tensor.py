"""`Tensor`: an array, its gradient, and the graph node that produced it.

Dunder methods and tensor methods only call the op functions in `npnn.ops`;
all differentiation lives in the ops' `Function` classes. The ops sit above this module
(they import Tensor), so the module `ops` that the methods call is bound by the one import
at the bottom of this file: the one import in the core that points up. Tensor's other
methods live in mixins below it (tensor_conversions.py, tensor_math.py, tensor_methods.py,
tensor_memory.py); those that call an op reach the module through `self._ops`, which
answers with it.

(The module is `_tensor`, as PyTorch's `torch/_tensor.py`, because `npnn.tensor` is the
factory function, as `torch.tensor`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from npnn import backend
from npnn.autograd import engine, function
from npnn.autograd.function import Function
from npnn.dtypes import scalar_dtype, to_array
from npnn.size import Size
from npnn.tensor_conversions import TensorDataMethods, unwrap_index
from npnn.tensor_math import TensorMathMethods
from npnn.tensor_memory import TensorMemoryMethods
from npnn.tensor_methods import TensorOpMethods
from npnn.tensor_methods_inplace import TensorInplaceMethods
from npnn.tensor_methods_linalg import TensorLinalgMethods
from npnn.tensor_methods_more import TensorMoreMethods


def to_tensor(value: Any, like: Sequence[Any] = ()) -> Tensor:
    """`value` as a Tensor for an op; a Python scalar takes the dtype of the tensors in `like`.

    Internal: the public factory with copy/dtype rules is `npnn.as_tensor`.
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, int, float)):
        dtype = scalar_dtype(value, [t.dtype for t in like if isinstance(t, Tensor)])
        xp = np
        for other in like:
            if isinstance(other, Tensor):
                xp = backend.get_array_module(other.array)
                break
        return Tensor(xp.asarray(value, dtype=dtype))
    return Tensor(value)


class Tensor(TensorDataMethods, TensorMathMethods, TensorOpMethods, TensorMoreMethods, TensorLinalgMethods,
             TensorMemoryMethods, TensorInplaceMethods):
    """An N-d array with reverse-mode autograd.

    As in PyTorch, `grad` is a Tensor (or None), `data` is a Tensor that shares memory and
    records no graph, and `reshape`/`view`, `permute`/`transpose`, basic indexing, `expand`
    and `detach` share memory with their input where NumPy can. npnn only: `array` is the
    NumPy (or CuPy) array itself, as Chainer's `Variable.array`; `numpy()` as PyTorch's.
    In-place updates (`x += y`, `add_`, `x[i] = v`) are recorded in the graph and counted
    in a version counter shared with views, as PyTorch's: backward refuses a graph whose saved
    values were changed since, and a leaf that requires grad changes only under `no_grad()`.
    """

    __array_priority__ = 1000  # so ndarray <op> Tensor defers to Tensor's reflected op
    # [version], shared with this tensor's views; made on first use (None reads as version 0)
    _version_box: list[int] | None = None

    def __init__(self, data: Any = (), *sizes: int, dtype: Any = None, requires_grad: bool = False) -> None:
        if sizes:  # Tensor(2, 3) as torch.Tensor: uninitialized there, zeros here; Tensor(n) is data
            data = np.zeros((data, *sizes), dtype=backend.get_default_dtype())
        self.array = to_array(data.array if isinstance(data, Tensor) else data, dtype)
        self._grad: Tensor | None = None
        self.grad_fn: Function | None = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _from_op(cls, data: Any, node: Function | None) -> Tensor:
        tensor = cls.__new__(cls)
        tensor.array = data
        tensor._grad = None
        tensor.grad_fn = node
        tensor._requires_grad = node is not None
        return tensor

    # ----- PyTorch's data model: .data and .grad are Tensors -----
    @property
    def data(self) -> Tensor:
        """The same memory as a Tensor outside autograd: in-place changes to it are allowed
        while grad is on and are not recorded (as PyTorch's `.data`; prefer `no_grad()`)."""
        return Tensor._from_op(self.array, None)

    @data.setter
    def data(self, value: Any) -> None:
        self.array = value.array if isinstance(value, Tensor) else to_array(value)

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient, a Tensor of this tensor's shape and dtype, or None."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}; wrap an array with npnn.tensor(...)")
            if value.shape != self.shape:
                raise RuntimeError(f"attempting to assign a gradient of size {list(value.shape)} to "
                                   f"a tensor of size {list(self.shape)}; they must be the same")
            if value.dtype != self.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype {value.dtype} to a "
                                   f"tensor of dtype {self.dtype}; convert it with .to({self.dtype})")
        self._grad = value

    # ----- autograd state -----
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.array.dtype.kind not in "fc":
            raise RuntimeError(
                f"only floating-point tensors can require gradients, got dtype {self.array.dtype}; "
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
        xp = backend.get_array_module(self.array)
        if gradient is None:
            if self.array.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient works only for a scalar output, but this "
                    f"tensor has shape {self.shape}; pass gradient=<tensor of shape {self.shape}> "
                    "(e.g. npnn.ones_like(out)) or reduce it first (out.sum(), out.mean())"
                )
            gradient = xp.ones_like(self.array)
        else:
            gradient = to_array(gradient.array if isinstance(gradient, Tensor) else gradient)
            if gradient.shape != self.shape:
                raise RuntimeError(
                    f"backward(gradient) needs a gradient of the output's shape {self.shape}, "
                    f"got {gradient.shape}"
                )
            gradient = gradient.astype(self.dtype, copy=False)
            if xp is np:  # the caller keeps its array: read through a read-only view, copied only
                gradient = gradient.view()  # where it becomes a leaf's .grad (engine._accumulate)
                gradient.flags.writeable = False
            else:
                gradient = gradient.copy()
        engine.run_backward(self, gradient, retain_graph=retain_graph)

    def detach(self) -> Tensor:
        """The same data without a graph (shares memory and the version counter, as in PyTorch)."""
        out = Tensor._from_op(self.array, None)
        out._version_box = self._shared_version_box()
        return out

    # ----- the version counter: how many in-place changes this memory has seen -----
    @property
    def _version(self) -> int:
        return self._version_box[0] if self._version_box else 0

    def _shared_version_box(self) -> list[int]:
        if self._version_box is None:
            self._version_box = [0]
        return self._version_box

    def _bump_version(self) -> None:
        self._shared_version_box()[0] += 1

    def _update_(self, kind: str, value: Any = None, index: Any = Ellipsis) -> Tensor:
        return ops.update_(self, kind, value, index)

    @property
    def _ops(self) -> Any:
        """The module `npnn.ops` (bound at the bottom), for the mixins that call ops."""
        return ops

    def detach_(self) -> Tensor:
        """Cut this tensor out of its graph in place: it becomes a leaf that needs no grad."""
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ----- array facts -----
    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape  # a tuple already, for NumPy and CuPy arrays

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    @property
    def device(self) -> str:
        return backend.device_of(self.array)

    def size(self, dim: int | None = None) -> Any:
        """The shape as an `npnn.Size` (a tuple, as torch.Size), or one dimension's length."""
        return Size(self.shape) if dim is None else self.shape[dim]

    def numel(self) -> int:
        return int(self.array.size)

    def dim(self) -> int:
        return self.array.ndim

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

    def __floordiv__(self, other: Any) -> Tensor:
        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return ops.floor_divide(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return ops.remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return ops.remainder(other, self)

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

    def to(self, *args: Any, dtype: Any = None, device: Any = None, copy: bool = False,
           non_blocking: bool = False) -> Tensor:
        """Convert dtype (differentiable) and/or move device, as torch's `Tensor.to`.

        Accepts `to(dtype)`, `to(device)`, `to(device, dtype)`, `to(other_tensor)` and the
        keywords `dtype=`, `device=`; returns self when nothing changes (unless copy=True).
        """
        for arg in args:
            if isinstance(arg, Tensor):
                dtype, device = arg.dtype, arg.device
            elif backend.is_device(arg):
                device = arg
            else:
                dtype = arg
        result = self
        if device is not None:
            result = ops.to_device(result, backend.device_name(device))
        if dtype is not None:
            result = ops.cast(result, np.dtype(dtype))
        return ops.clone(result) if copy and result is self else result

    def clone(self) -> Tensor:
        return ops.clone(self)

    def new_zeros(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """Zeros of `size` with this tensor's dtype (unless given) and device."""
        xp = backend.get_array_module(self.array)
        dtype = self.dtype if dtype is None else dtype
        return Tensor(xp.zeros(ops.shape_arg(size), dtype=dtype), requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        return self.new_full(ops.shape_arg(size), 1, dtype=dtype, requires_grad=requires_grad)

    def new_full(self, size: Any, fill_value: Any, dtype: Any = None,
                 requires_grad: bool = False) -> Tensor:
        xp = backend.get_array_module(self.array)
        dtype = self.dtype if dtype is None else dtype
        return Tensor(xp.full(ops.shape_arg((size,)), fill_value, dtype=dtype), requires_grad=requires_grad)

    new_empty = new_zeros  # zero-filled, as npnn.empty

    def new_tensor(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """A copy of `data` with this tensor's dtype (unless given) and device."""
        data = data.array if isinstance(data, Tensor) else data
        result = Tensor(backend.to_numpy(data).copy() if hasattr(data, "shape") else data,
                        dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad)
        return result if self.device == "cpu" else result.to(self.device)

    @property
    def is_cuda(self) -> bool:
        return self.device == "cuda"

    def half(self) -> Tensor:
        return self.to(np.float16)


function.set_tensor_class(Tensor, to_tensor)  # Function.apply makes Tensors (autograd is below)

# The one import that closes the loop, as early tinygrad's "this registers all the operations":
# the ops import Tensor, so they load after it exists; the methods above call them through `ops`.
from npnn import ops  # noqa: E402
