"""The `Function` base: one subclass per primitive, one instance per call.

The instance is the graph node: it keeps its input tensors and whatever its forward
saved for the backward pass. `forward` and `backward` work on raw arrays;
`backward` returns one vector-Jacobian product per input (None where not needed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from npnn.autograd.grad_mode import is_grad_enabled
from npnn.dtypes import promote

if TYPE_CHECKING:
    from npnn._tensor import Tensor


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
        Tensor = _tensor_class
        # Fast path: ops are almost always called on Tensors of one dtype, and at batch 32 this
        # bookkeeping costs as much as the arithmetic; so convert only when an input needs it,
        # and read the attributes behind the `requires_grad`/`dtype` properties directly.
        tensors = inputs
        for value in inputs:
            if not isinstance(value, Tensor):
                tensors = tuple(_to_tensor(x, inputs) for x in inputs)
                break
        arrays = [t.array for t in tensors]
        if len(arrays) > 1:
            arrays = promote(arrays)
        node = cls()
        node.needs_input_grad = needs = tuple([t._requires_grad for t in tensors])
        output = node.forward(*arrays, **kwargs)
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

    def __repr__(self) -> str:
        """`<AddBackward object at 0x...>`, as PyTorch prints `z.grad_fn` (AddBackward0 there)."""
        return f"<{self.name}Backward object at {id(self):#x}>"


# The tensor layer sits above autograd: npnn/_tensor.py hands its class and its converter of
# Python scalars and arrays here once, when it defines them, so that `apply` can wrap its
# inputs and outputs without autograd importing anything above itself.
_tensor_class: Any = None
_to_tensor: Any = None


def set_tensor_class(tensor_class: type, to_tensor: Callable[[Any, Sequence[Any]], Any]) -> None:
    """Name the class `Function.apply` makes its outputs of, and how it converts other inputs."""
    global _tensor_class, _to_tensor
    _tensor_class, _to_tensor = tensor_class, to_tensor


def detached_tensor(array: Any) -> Tensor:
    """`array` as a Tensor outside any graph (a gradient, for the engine)."""
    return _tensor_class._from_op(array, None)
