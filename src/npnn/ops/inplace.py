"""In-place updates (`x += y`, `add_`, `zero_`, `fill_`, `copy_`, `x[i] = v`) with PyTorch's autograd.

Every update bumps the tensor's version counter (shared with its views). With grad on, an
update of a tensor that is part of a graph, or by a value that needs grad, is recorded: the
op runs out of place, its result is written into the tensor's own array, and the tensor takes
the op's node as its `grad_fn`, so later uses differentiate through it while earlier uses
keep the node they were recorded with. A node whose saved array was changed this way refuses
backward (the engine compares versions), as PyTorch does. A leaf that requires grad is only
updated under `no_grad()`, as in PyTorch.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.autograd.grad_mode import is_grad_enabled
from npnn.ops.elementwise import add, div, mul, sub
from npnn.ops.shape import GetItem, is_advanced

# kind -> (the raw in-place operator, the out-of-place op recorded with grad)
ARITHMETIC: dict[str, tuple[Callable[[Any, Any], Any], Callable[[Any, Any], Tensor]]] = {
    "add": (operator.iadd, add),
    "sub": (operator.isub, sub),
    "mul": (operator.imul, mul),
    "div": (operator.itruediv, div),
}


class Assign(Function):
    """`out = old` with `out[index] = source`: copy_, fill_, zero_ and `x[index] = v`."""

    def forward(self, old, source, index=Ellipsis):
        self.index = index
        out = old.copy()
        out[index] = source
        return out

    def backward(self, grad_output):
        grad_old = grad_output.copy()
        grad_old[self.index] = 0
        return grad_old, grad_output[self.index]  # the engine sums it back to source's shape


def update_(tensor: Tensor, kind: str, value: Any = None, index: Any = Ellipsis) -> Tensor:
    """Change `tensor` in place: `kind` is add/sub/mul/div (by `value`) or assign (`value`
    written at `index`). Returns `tensor`, the same object."""
    grad_on = is_grad_enabled()
    if grad_on and tensor._requires_grad and tensor.grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation: update "
            "it inside `with npnn.no_grad():` (as optimizers do), or write `x = x + y` for a new tensor"
        )
    if grad_on and (tensor.grad_fn is not None or (isinstance(value, Tensor) and value._requires_grad)):
        viewed = _viewed_base(tensor)
        _adopt(tensor, _recorded(tensor, kind, value, index))
        if viewed is not None:  # x[i].add_(v) changed x too: x takes a node that says so
            base, view_index = viewed
            _adopt(base, Assign.apply(base, tensor, index=view_index))
    else:
        _write(tensor, kind, value, index)
        tensor._bump_version()
    return tensor


def in_place(input: Tensor, result: Tensor, inplace: bool = True) -> Tensor:
    """PyTorch's `inplace=True` (relu(x, inplace=True), Dropout(inplace=True)): `result` written
    into `input`, which is returned, recorded in the graph as x.copy_(result) is; else `result`."""
    return update_(input, "assign", result) if inplace else result


def _write(tensor: Tensor, kind: str, value: Any, index: Any) -> None:
    """The update on the raw array, outside autograd."""
    raw = value.array if isinstance(value, Tensor) else value
    if isinstance(tensor.array, np.generic):  # a NumPy scalar cannot change in place
        tensor.array = np.asarray(tensor.array)
    if kind == "assign":
        tensor.array[index] = raw
    else:
        tensor.array = ARITHMETIC[kind][0](tensor.array, raw)  # in place: the same array


def _recorded(tensor: Tensor, kind: str, value: Any, index: Any) -> Tensor:
    if kind == "assign":
        return Assign.apply(tensor, to_tensor(value, like=(tensor,)), index=index)
    result = ARITHMETIC[kind][1](tensor, value)
    if result.shape != tensor.shape:
        raise RuntimeError(f"output with shape {list(tensor.shape)} doesn't match the broadcast "
                           f"shape {list(result.shape)}: an in-place update cannot grow a tensor")
    return result


def _viewed_base(tensor: Tensor) -> tuple[Tensor, Any] | None:
    """(base, index) when `tensor` is `base[index]`, a basic-indexing view in a graph; refuse
    in-place changes of other views in a graph, which npnn cannot carry back to their base."""
    node = tensor.grad_fn
    if node is None or node.inputs is None or getattr(tensor.array, "base", None) is None:
        return None
    base = node.inputs[0]
    if not _shares(tensor.array, base.array):
        return None
    if base._requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                           "operation: change it under `with npnn.no_grad():`, or change a clone")
    if isinstance(node, GetItem) and not is_advanced(node.index):
        return base, node.index
    raise RuntimeError(
        f"in-place change of a {node.name} view of a tensor that is part of a graph: npnn "
        f"carries such changes back to the base only for indexing views (x[i].add_(v), x[i] = v), "
        f"where PyTorch also does it for reshape/transpose/expand views; change the base or a clone"
    )


def _adopt(tensor: Tensor, result: Tensor) -> None:
    """Make `tensor` the output of `result`'s node, keeping its own array object."""
    node = result.grad_fn
    old = tensor.array
    for key, saved in list(vars(node).items()):  # the node keeps the values from before the write
        if key != "inputs" and _shares(saved, old):
            setattr(node, key, saved.copy())
    if isinstance(old, np.generic) or not backend.is_writeable(old):
        tensor.array = result.array.astype(old.dtype)
    else:
        old[...] = result.array
    tensor.grad_fn = node
    tensor._requires_grad = True
    tensor._bump_version()
    node.adopt_output(tensor)


def _shares(value: Any, array: Any) -> bool:
    return hasattr(value, "shape") and not isinstance(value, np.generic) and \
        backend.may_share_memory(value, array)
