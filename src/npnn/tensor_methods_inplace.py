"""Tensor methods PyTorch code calls that npnn lacked: the in-place forms of the elementwise ops
(exp_, sin_, pow_, lerp_, addcmul_, ...), transpose_/t_, apply_/map_, fill_diagonal_,
is_floating_point/is_complex and `type()` with torch's type strings.

The in-place forms write the op's result through `_update_` (recorded by autograd as
x.copy_(result), with the version counter bumped), as those in tensor_methods_more.py. As in
PyTorch, a result of another dtype than the tensor's is refused (int.exp_() has float results).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from npnn import backend
from npnn.autograd.grad_mode import is_grad_enabled

# dtype -> the name in torch's type strings ('torch.FloatTensor')
TYPE_NAMES = {
    np.dtype(np.float32): "FloatTensor", np.dtype(np.float64): "DoubleTensor",
    np.dtype(np.float16): "HalfTensor", np.dtype(np.int64): "LongTensor",
    np.dtype(np.int32): "IntTensor", np.dtype(np.int16): "ShortTensor",
    np.dtype(np.int8): "CharTensor", np.dtype(np.uint8): "ByteTensor",
    np.dtype(np.bool_): "BoolTensor",
}
NAME_TYPES = {name: dtype for dtype, name in TYPE_NAMES.items()}


def type_dtype(spec: Any) -> Any:
    """The dtype `Tensor.type(spec)` converts to: a type string ('torch.FloatTensor'), a legacy
    class (npnn.FloatTensor) or a dtype."""
    if isinstance(spec, str):
        name = spec.rpartition(".")[2]
        if spec.partition(".")[0] not in ("torch", "npnn") or name not in NAME_TYPES:
            raise ValueError(f"invalid type: {spec!r}")
        return NAME_TYPES[name]
    return getattr(spec, "legacy_dtype", spec)


def _cpu_only(array: Any, name: str) -> None:
    if backend.get_array_module(array) is not np:
        raise RuntimeError(f"{name} is only implemented on CPU tensors: move it with .cpu() first")


class TensorInplaceMethods:
    """Mixed into Tensor, its one subclass."""

    _ops: Any
    _update_: Callable[..., Any]
    array: Any
    dtype: Any
    requires_grad: bool

    def _write_(self, result: Any) -> Any:
        """`result` written into this tensor, refused if the op's dtype differs (as PyTorch)."""
        if result.shape != self.shape:  # type: ignore[attr-defined]
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "  # type: ignore[attr-defined]
                               f"shape {list(result.shape)}: an in-place update cannot grow a tensor")
        if result.dtype != self.dtype:
            raise RuntimeError(f"result type {TYPE_NAMES.get(result.dtype, str(result.dtype))[:-6]} "
                               f"can't be cast to the desired output type "
                               f"{TYPE_NAMES.get(self.dtype, str(self.dtype))[:-6]}")
        return self._update_("assign", result)

    def _src(self, *others: Any) -> Any:
        """This tensor, or a clone of it when the op is recorded: the op's node then keeps the
        values from before the write (as PyTorch saves `self` for x.sin_())."""
        needs_grad = self.requires_grad or any(getattr(o, "requires_grad", False) for o in others)
        if needs_grad and is_grad_enabled():
            return self.clone()  # type: ignore[attr-defined]
        return self

    # ----- dtype queries and torch's type strings -----
    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    def is_complex(self) -> bool:
        """False: npnn has no complex tensors."""
        return self.dtype.kind == "c"

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        """With no argument torch's type string ('torch.FloatTensor'); else this tensor
        converted to a type string, a legacy class (npnn.LongTensor) or a dtype."""
        if dtype is None:
            return "torch." + TYPE_NAMES[self.dtype]
        return self.to(type_dtype(dtype))  # type: ignore[attr-defined]

    # ----- in-place elementwise ops -----
    def abs_(self) -> Any:
        return self._write_(self._ops.abs(self._src()))

    absolute_ = abs_

    def exp_(self) -> Any:
        return self._write_(self._ops.exp(self._src()))

    def log_(self) -> Any:
        return self._write_(self._ops.log(self._src()))

    def log1p_(self) -> Any:
        return self._write_(self._ops.log1p(self._src()))

    def sqrt_(self) -> Any:
        return self._write_(self._ops.sqrt(self._src()))

    def rsqrt_(self) -> Any:
        return self._write_(self._ops.rsqrt(self._src()))

    def neg_(self) -> Any:
        return self._write_(self._ops.neg(self._src()))

    negative_ = neg_

    def reciprocal_(self) -> Any:
        return self._write_(self._ops.reciprocal(self._src()))

    def sin_(self) -> Any:
        return self._write_(self._ops.sin(self._src()))

    def cos_(self) -> Any:
        return self._write_(self._ops.cos(self._src()))

    def tan_(self) -> Any:
        return self._write_(self._ops.tan(self._src()))

    def floor_(self) -> Any:
        return self._write_(self._ops.floor(self._src()))

    def ceil_(self) -> Any:
        return self._write_(self._ops.ceil(self._src()))

    def round_(self, *, decimals: int = 0) -> Any:
        return self._write_(self._ops.round(self._src(), decimals=decimals))

    def trunc_(self) -> Any:
        return self._write_(self._ops.trunc(self._src()))

    fix_ = trunc_

    def frac_(self) -> Any:
        if self.dtype.kind != "f":
            raise RuntimeError(f"frac is not implemented for {self.dtype} tensors, as in PyTorch: "
                               f"it is 0 for integers")
        return self._write_(self._ops.frac(self._src()))

    def sign_(self) -> Any:
        return self._write_(self._ops.sign(self._src()))

    def square_(self) -> Any:
        return self._write_(self._ops.square(self._src()))

    def pow_(self, exponent: Any) -> Any:
        return self._write_(self._ops.pow(self._src(exponent), exponent))

    def lerp_(self, end: Any, weight: Any) -> Any:
        return self._write_(self._ops.lerp(self._src(end, weight), end, weight))

    def addcmul_(self, tensor1: Any, tensor2: Any, *, value: float = 1) -> Any:
        return self._write_(self._ops.addcmul(self._src(tensor1, tensor2), tensor1, tensor2, value=value))

    def addcdiv_(self, tensor1: Any, tensor2: Any, *, value: float = 1) -> Any:
        return self._write_(self._ops.addcdiv(self._src(tensor1, tensor2), tensor1, tensor2, value=value))

    def masked_fill_(self, mask: Any, value: Any) -> Any:
        return self._write_(self._ops.masked_fill(self._src(mask, value), mask, value))

    # ----- methods of the new ops -----
    def sin(self) -> Any:
        return self._ops.sin(self)

    def cos(self) -> Any:
        return self._ops.cos(self)

    def tan(self) -> Any:
        return self._ops.tan(self)

    def floor(self) -> Any:
        return self._ops.floor(self)

    def ceil(self) -> Any:
        return self._ops.ceil(self)

    def round(self, *, decimals: int = 0) -> Any:
        return self._ops.round(self, decimals=decimals)

    def rsqrt(self) -> Any:
        return self._ops.rsqrt(self)

    def reciprocal(self) -> Any:
        return self._ops.reciprocal(self)

    def addcmul(self, tensor1: Any, tensor2: Any, *, value: float = 1) -> Any:
        return self._ops.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: float = 1) -> Any:
        return self._ops.addcdiv(self, tensor1, tensor2, value=value)

    def isnan(self) -> Any:
        return self._ops.isnan(self)

    def isinf(self) -> Any:
        return self._ops.isinf(self)

    def isfinite(self) -> Any:
        return self._ops.isfinite(self)

    def isposinf(self) -> Any:
        return self._ops.isposinf(self)

    def isneginf(self) -> Any:
        return self._ops.isneginf(self)

    def isreal(self) -> Any:
        return self._ops.isreal(self)

    # ----- in-place layout changes and Python callables -----
    def fill_diagonal_(self, fill_value: Any, wrap: bool = False) -> Any:
        """The main diagonal (of a 2-d tensor, or all-equal indices of an n-d one) set to
        `fill_value`; `wrap` restarts it every ncols+1 rows of a tall matrix, as PyTorch."""
        shape = self.array.shape
        if len(shape) < 2 or (len(shape) > 2 and len(set(shape)) != 1):
            raise RuntimeError("dimensions must larger than 1" if len(shape) < 2 else
                               "all dimensions of input must be of equal length")
        mask = np.zeros(shape, dtype=bool)
        np.fill_diagonal(mask, True, wrap=wrap)
        return self._update_("assign", fill_value, backend.get_array_module(self.array).asarray(mask))

    def t_(self) -> Any:
        return self.transpose_(0, 1) if self.array.ndim == 2 else self

    def transpose_(self, dim0: int, dim1: int) -> Any:
        """Swap two dims of this tensor itself. Refused on a tensor in a graph: npnn's
        in-place updates keep the shape (write `x = x.transpose(...)`)."""
        if self.requires_grad:
            raise RuntimeError("transpose_ of a tensor that requires grad: npnn's in-place "
                               "updates keep the shape; write x = x.transpose(dim0, dim1)")
        self.array = backend.get_array_module(self.array).swapaxes(self.array, dim0, dim1)
        return self

    def apply_(self, callable: Callable[[Any], Any]) -> Any:
        """Each element replaced by `callable(element)` (a Python float/int/bool), CPU only and
        outside autograd as PyTorch's."""
        if self.requires_grad:
            raise RuntimeError("Can't call apply_() on Variable that requires grad. Use "
                               "var.detach().apply_() instead.")
        _cpu_only(self.array, "apply_")
        values = [callable(v) for v in np.asarray(backend.to_numpy(self.array)).ravel().tolist()]
        return self._update_("assign", np.asarray(values, dtype=self.dtype).reshape(self.array.shape))

    def map_(self, tensor: Any, callable: Callable[[Any, Any], Any]) -> Any:
        """Each element replaced by `callable(element, other's element)`, `tensor` broadcast to
        this tensor's shape; outside autograd as PyTorch's."""
        if self.requires_grad or getattr(tensor, "requires_grad", False):
            raise RuntimeError("Can't call map_() on Variable that requires grad. Use "
                               "var.detach().map_() instead.")
        _cpu_only(self.array, "map_")
        mine = np.asarray(backend.to_numpy(self.array))
        other = np.broadcast_to(np.asarray(backend.to_numpy(getattr(tensor, "array", tensor))), mine.shape)
        values = [callable(a, b) for a, b in zip(mine.ravel().tolist(), other.ravel().tolist(), strict=True)]
        return self._update_("assign", np.asarray(values, dtype=self.dtype).reshape(mine.shape))
