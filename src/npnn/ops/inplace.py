"""In-place updates (`x += y`, `add_`, `zero_`, `fill_`, `copy_`, `x[i] = v`) with PyTorch's autograd.

Every update bumps the tensor's version counter (shared with its views). With grad on, an
update of a tensor that is part of a graph, or by a value that needs grad, is recorded: the
op runs out of place, its result is written into the tensor's own array, and the tensor takes
the op's node as its `grad_fn`, so later uses differentiate through it while earlier uses
keep the node they were recorded with. A change of a view (x[i], x.t(), x.diagonal(), views
of views) reaches each base in the graph through a ViewAssign node, as PyTorch's. A node whose
saved array was changed this way refuses backward (the engine compares versions), as PyTorch
does. A leaf that requires grad is only updated under `no_grad()`, as in PyTorch.
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


class ViewAssign(Function):
    """`out = base` with its view (transpose, x[i], diagonal, ...) replaced by `source`: how an
    in-place change of a view reaches the base in the graph. `view` makes the same view of any
    array of the base's shape (the view node's `view` method)."""

    def forward(self, base, source, view=None):
        self.view = view
        out = base.copy()
        view(out)[...] = source
        return out

    def backward(self, grad_output):
        grad_base = grad_output.copy()
        self.view(grad_base)[...] = 0
        return grad_base, self.view(grad_output).copy()


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
        chain = _view_chain(tensor)
        _adopt(tensor, _recorded(tensor, kind, value, index))
        if chain:  # the view remembers its base for later in-place changes
            tensor.grad_fn.view_base = chain[0]
        changed = tensor
        for base, view in chain:  # x.t()[i].add_(v) changed x.t() and x too: each takes a node
            _adopt(base, ViewAssign.apply(base, changed, view=view))
            changed = base
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


def _view_chain(tensor: Tensor) -> list[tuple[Tensor, Any]]:
    """[(base, view), ...]: `tensor` is view(base), that base a view of the next, up to a
    tensor that is no view; each view is a function that makes the same view of another array.
    Refuses in-place changes of views npnn cannot carry back (expand, and views of leaves)."""
    chain: list[tuple[Tensor, Any]] = []
    current = tensor
    while True:
        node = current.grad_fn
        if node is None or node.inputs is None or getattr(current.array, "base", None) is None:
            return chain
        step = getattr(node, "view_base", None)  # a view already changed in place
        if step is None:
            base = node.inputs[0]
            view = getattr(node, "view", None)
            step = (base, view)
        base, view = step
        if base is current or not _shares(current.array, base.array):
            return chain
        if base._requires_grad and base.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                               "in-place operation: change it under `with npnn.no_grad():`, or "
                               "change a clone")
        if view is None or (isinstance(node, GetItem) and is_advanced(node.index)):
            raise RuntimeError(
                f"in-place change of a {node.name} view of a tensor that is part of a graph: npnn "
                f"carries such changes back to the base only for indexing, transpose/permute, "
                f"reshape and diagonal views; change the base or a clone"
            )
        chain.append((base, view))
        current = base


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
