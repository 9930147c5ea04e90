"""The `Function` base: one subclass per primitive, one instance per call.

The instance is the graph node: it keeps its input tensors and whatever its forward
saved for the backward pass. `forward` and `backward` work on raw arrays;
`backward` returns one vector-Jacobian product per input (None where not needed).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from npnn.autograd.grad_mode import is_grad_enabled

if TYPE_CHECKING:
    from npnn.tensor import Tensor


# npnn.tensor imports this module, so it is imported on the first apply and kept here: an
# import statement inside apply would cost about as much as a small op's arithmetic
_tensor_module: ModuleType | None = None


def _import_tensor_module() -> ModuleType:
    global _tensor_module
    _tensor_module = importlib.import_module("npnn.tensor")  # (npnn.tensor is also a function)
    return _tensor_module


class Function:
    """Base class of differentiable primitives.

    Subclasses implement `forward(self, *arrays, **kwargs) -> array` and
    `backward(self, grad_output) -> array | tuple[array | None, ...]`.
    """

    inputs: tuple[Tensor, ...] | None
    needs_input_grad: tuple[bool, ...]

    def forward(self, *arrays: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad_output: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Tensor:
        """Run forward on the inputs' data and, if any input needs grad, record the node."""
        tensor_module = _tensor_module or _import_tensor_module()
        Tensor = tensor_module.Tensor

        # Fast path: ops are almost always called on Tensors of one dtype, and at batch 32 this
        # bookkeeping costs as much as the arithmetic; so convert only when an input needs it,
        # and read the attributes behind the `requires_grad`/`dtype` properties directly.
        tensors = inputs
        for value in inputs:
            if not isinstance(value, Tensor):
                tensors = tuple(tensor_module.to_tensor(x, like=inputs) for x in inputs)
                break
        if len(tensors) > 1:
            tensors = promote(tensors)
        node = cls()
        node.needs_input_grad = needs = tuple([t._requires_grad for t in tensors])
        output = node.forward(*[t.data for t in tensors], **kwargs)
        if any(needs) and is_grad_enabled():
            node.inputs = tensors
            return Tensor._from_op(output, node)
        return Tensor._from_op(output, None)

    def release(self) -> None:
        """Drop inputs and saved arrays so the graph can be freed."""
        self.__dict__.clear()
        self.inputs = None

    @property
    def name(self) -> str:
        return type(self).__name__


def promote(tensors: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """Bring the inputs to one dtype with PyTorch's promotion rule.

    Within a category (bool < integer < float < complex) a 0-d tensor never raises the
    dtype of a dimensioned one: float32 (3,) * float64 () stays float32, int32 + int64 ()
    stays int32; a 0-d tensor of a higher category wins (int64 (3,) * float32 () is float32).
    Boolean inputs (masks, `where` conditions) are left as they are.
    """
    first = tensors[0].data.dtype
    for t in tensors:
        if t.data.dtype != first:
            break
    else:  # the hot path: one dtype, nothing to do
        return tensors
    target = result_dtype(tensors)
    if all(t.dtype == target or t.dtype.kind == "b" for t in tensors):
        return tensors
    from npnn.ops.elementwise import cast

    return tuple(t if t.dtype == target or t.dtype.kind == "b" else cast(t, target) for t in tensors)


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def result_dtype(tensors: Sequence[Tensor]) -> np.dtype:
    """The dtype PyTorch gives an op on `tensors` (dimensioned ones first, then 0-d)."""
    dimensioned = _promote_types([t.dtype for t in tensors if t.ndim])
    zero_dim = _promote_types([t.dtype for t in tensors if not t.ndim])
    if dimensioned is None or (zero_dim is not None
                               and _CATEGORY[zero_dim.kind] > _CATEGORY[dimensioned.kind]):
        return zero_dim  # type: ignore[return-value]
    return dimensioned


def _promote_types(dtypes: list[np.dtype]) -> np.dtype | None:
    """NumPy's promotion within the highest category only: int64 with float32 gives float32."""
    if not dtypes:
        return None
    top = max(_CATEGORY[d.kind] for d in dtypes)
    return np.result_type(*[d for d in dtypes if _CATEGORY[d.kind] == top])
