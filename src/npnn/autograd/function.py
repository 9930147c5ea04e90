"""The `Function` base: one subclass per primitive, one instance per call.

The instance is the graph node: it keeps its input tensors and whatever its forward
saved for the backward pass. `forward` and `backward` work on raw arrays;
`backward` returns one vector-Jacobian product per input (None where not needed).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from npnn import backend
from npnn.autograd.grad_mode import is_grad_enabled
from npnn.dtypes import promote

if TYPE_CHECKING:
    from npnn._tensor import Tensor


# what release() keeps of a node: its tensor hooks, retain_grad and the hooks' wrapper
_KEPT_ON_RELEASE = frozenset(("tensor_hooks", "retained", "backward"))


class Function:
    """Base class of differentiable primitives.

    Subclasses implement `forward(self, *arrays, **kwargs) -> array` and
    `backward(self, grad_output) -> array | tuple[array | None, ...]`. A subclass in PyTorch's
    custom-Function form (static `forward(ctx, ...)` on Tensors) is run by
    `npnn.autograd.custom` instead (see `__init_subclass__`).
    """

    inputs: tuple[Tensor, ...] | None
    needs_input_grad: tuple[bool, ...]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A subclass in PyTorch's form (static `forward(ctx, ...)`, `backward(ctx, *grads)` on
        Tensors) gets the custom-Function `apply`; decided once here, so npnn's own ops (array
        methods) keep the fast `apply` below untouched."""
        super().__init_subclass__(**kwargs)
        if _static_forward(cls):
            apply, node_class = _custom_form
            cls._custom_node = node_class(cls)
            cls.apply = classmethod(apply)  # type: ignore[method-assign,assignment]

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
            # what each input was at this moment: its node (an in-place update may give the
            # tensor another one later) and its version (checked before backward)
            node.parents = [t.grad_fn for t in tensors]
            node.versions = [box[0] if (box := t._version_box) else 0 for t in tensors]
            out = Tensor._from_op(output, node)
            out._version_box = node.output_box = [0]  # adopt_output, inlined: every op runs this
            node.output, node.output_version = output, 0
        else:
            out = Tensor._from_op(output, None)
        if getattr(output, "base", None) is not None:
            _share_version_with_source(out, tensors)
        return out

    def adopt_output(self, tensor: Tensor) -> None:
        """Remember `tensor` (its array and version) as this node's output."""
        if tensor._version_box is None:
            tensor._version_box = [0]
        self.output, self.output_box = tensor.array, tensor._version_box
        self.output_version = tensor._version_box[0]

    def check_versions(self) -> None:
        """Refuse backward when an array this node saved was changed in place since (PyTorch's
        error); a changed input or output that the node did not save is fine."""
        for tensor, then in zip(self.inputs, self.versions, strict=True):
            box = tensor._version_box
            if box is not None and box[0] != then:
                self._refuse_if_saved(tensor.array, then, box[0])
        if self.output_box[0] != self.output_version:
            self._refuse_if_saved(self.output, self.output_version, self.output_box[0])

    def _refuse_if_saved(self, array: Any, then: int, now: int) -> None:
        if self._saves(array):
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{array.dtype} {list(array.shape)}], used by {self.name}, is "
                f"at version {now}; expected version {then} instead. Hint: change a copy "
                f"(x = x + y, or x.clone()) instead of the tensor in place"
            )

    def _saves(self, array: Any) -> bool:
        own = {"inputs", "parents", "versions", "output", "output_box", "output_version",
               "needs_input_grad"}
        for key, value in vars(self).items():
            values = value if isinstance(value, (tuple, list)) else (value,)
            if key not in own and any(_overlaps(v, array) for v in values):
                return True
        return False

    def release(self) -> None:
        """Drop inputs and saved arrays so the graph can be freed; a tensor's hooks and its
        retain_grad stay, as PyTorch's (`retains_grad` is still True after backward)."""
        state = self.__dict__
        if _KEPT_ON_RELEASE.isdisjoint(state):  # the usual node: no hooks, nothing retained
            state.clear()
        else:
            kept = {key: state[key] for key in _KEPT_ON_RELEASE if key in state}
            state.clear()
            state.update(kept)
        self.inputs = None

    @property
    def next_functions(self) -> tuple[tuple[Function | AccumulateGrad | None, int], ...]:
        """One `(node, 0)` per input, as PyTorch's: the node that made it, an `AccumulateGrad` for
        a leaf that requires grad, None for an input without grad. Unlike PyTorch's, the graph
        that backward freed can no longer be walked (the error says so)."""
        inputs = saved_inputs(self, "walk its next_functions")
        return tuple((parent if parent is not None else AccumulateGrad(tensor) if needs else None, 0)
                     for tensor, parent, needs in zip(inputs, self.parents, self.needs_input_grad,
                                                      strict=True))

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        """`<AddBackward object at 0x...>`, as PyTorch prints `z.grad_fn` (AddBackward0 there)."""
        return f"<{self.name}Backward object at {id(self):#x}>"


def _static_forward(cls: type) -> bool:
    """Is the nearest `forward` of `cls` a staticmethod (PyTorch's form)?"""
    for klass in cls.__mro__:
        if "forward" in vars(klass):
            return isinstance(vars(klass)["forward"], staticmethod)
    return False


class AccumulateGrad:
    """The graph's end at a leaf that requires grad (`variable`): backward sums into its `.grad`."""

    next_functions: tuple[()] = ()

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


def saved_inputs(node: Function, to: str) -> tuple[Tensor, ...]:
    if node.inputs is None:
        raise RuntimeError(
            f"Trying to {to} through the graph a second time (node {node.name}): its saved "
            "arrays were freed by the first backward. Pass retain_graph=True to the first "
            "backward() if you need to call it twice."
        )
    return node.inputs


# The tensor layer sits above autograd: npnn/_tensor.py hands its class and its converter of
# Python scalars and arrays here once, when it defines them, so that `apply` can wrap its
# inputs and outputs without autograd importing anything above itself.
_tensor_class: Any = None
_to_tensor: Any = None
# custom.py (which subclasses Function, so loads after it) hands its `apply` and node-class
# maker here, for subclasses in PyTorch's custom-Function form
_custom_form: Any = None


def set_tensor_class(tensor_class: type, to_tensor: Callable[[Any, Sequence[Any]], Any]) -> None:
    """Name the class `Function.apply` makes its outputs of, and how it converts other inputs."""
    global _tensor_class, _to_tensor
    _tensor_class, _to_tensor = tensor_class, to_tensor


def set_custom_form(apply: Callable[..., Any], node_class: Callable[[type], type]) -> None:
    """Name what runs a subclass in PyTorch's custom-Function form (npnn.autograd.custom)."""
    global _custom_form
    _custom_form = (apply, node_class)


def _share_version_with_source(view: Tensor, sources: Sequence[Tensor]) -> None:
    """A view output shares the version counter of the input it views, as PyTorch's views."""
    base = view.array.base
    if not hasattr(base, "dtype"):  # as_strided's wrapper (diagonal's view): the array under it
        base = base.base if base.base.base is None else base.base.base
    for source in sources:
        array = source.array
        if base is array or (base is not None and base is getattr(array, "base", None)):
            if source._version_box is None:
                source._version_box = [0]
            view._version_box = source._version_box
            return


def _overlaps(value: Any, array: Any) -> bool:
    if value is array:
        return True
    return hasattr(value, "shape") and hasattr(value, "base") and not isinstance(value, np.generic) \
        and backend.may_share_memory(value, array)


def detached_tensor(array: Any) -> Tensor:
    """`array` as a Tensor outside any graph (a gradient, for the engine)."""
    return _tensor_class._from_op(array, None)


def once_differentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """PyTorch's decorator of a custom Function's backward that is not differentiable again.
    A no-op wrapper here: npnn's backward never records a graph (no higher-order gradients)."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        return fn(ctx, *args)

    return wrapper
