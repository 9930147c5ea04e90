"""The `Function` base: one subclass per primitive, one instance per call.

The instance is the graph node: it keeps its input tensors and whatever its forward
saved for the backward pass. `forward` and `backward` work on raw arrays;
`backward` returns one vector-Jacobian product per input (None where not needed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from npnn.autograd.grad_mode import is_grad_enabled

if TYPE_CHECKING:
    from npnn.tensor import Tensor


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
        from npnn.tensor import Tensor, as_tensor

        tensors = _promote_integers(tuple(as_tensor(x, like=inputs) for x in inputs))
        node = cls()
        node.needs_input_grad = tuple(t.requires_grad for t in tensors)
        record = is_grad_enabled() and any(node.needs_input_grad)
        output = node.forward(*(t.data for t in tensors), **kwargs)
        result = Tensor._from_op(output, node if record else None)
        if record:
            node.inputs = tensors
        return result

    def release(self) -> None:
        """Drop inputs and saved arrays so the graph can be freed."""
        self.__dict__.clear()
        self.inputs = None

    @property
    def name(self) -> str:
        return type(self).__name__


def _promote_integers(tensors: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """Integer tensors meeting float ones take the float dtype, as in PyTorch.

    NumPy would give float64 for int64 (+) float32, so `labels * 0.5` would upcast.
    """
    floats = [t.dtype for t in tensors if t.dtype.kind == "f"]
    if not floats or all(t.dtype.kind not in "iu" for t in tensors):
        return tensors
    from npnn.tensor import Tensor

    dtype = np.result_type(*floats)
    return tuple(Tensor(t.data.astype(dtype)) if t.dtype.kind in "iu" else t for t in tensors)
