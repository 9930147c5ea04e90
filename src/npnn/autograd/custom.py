"""PyTorch's custom-Function form: `forward(ctx, ...)` / `backward(ctx, *grads)` on Tensors.

`Function.__init_subclass__` sends a subclass whose `forward` is a staticmethod here, once per
class; npnn's own ops (array methods) keep `Function.apply` untouched. The graph node is a
`CustomNode` holding the user's `ctx`: the ctx is separate from the node so that attributes a
user sets on it never clash with the engine's. Several differentiable outputs hang off one
flat gradient buffer of the node, each output a `_Part` node that slices its gradient in.
Differs from PyTorch: `ctx.mark_dirty` (an input changed in place) is refused by name, and the
backward never records a graph (no double backward), so `once_differentiable` is a no-op.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn.autograd import function
from npnn.autograd.grad_mode import is_grad_enabled, no_grad


class FunctionCtx:
    """The `ctx` of a custom Function: saved tensors, flags, and any attribute the user sets."""

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self.materialize_grads = True
        self.non_differentiable: set[int] = set()
        self.to_save: tuple[tuple[Any, int], ...] = ()

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors (or None) for backward; changing one in place before then is an error."""
        for i, tensor in enumerate(tensors):
            if tensor is not None and not isinstance(tensor, function._tensor_class):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is of type {type(tensor).__name__}")
        self.to_save = tuple((t, 0 if t is None else _version(t)) for t in tensors)

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        for tensor, then in self.to_save:
            if tensor is not None and _version(tensor) != then:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: [{tensor.dtype} {list(tensor.shape)}] is at "
                    f"version {_version(tensor)}; expected version {then} instead. Hint: change "
                    f"a copy (x = x + y, or x.clone()) instead of the tensor in place")
        return tuple(tensor for tensor, _ in self.to_save)

    def mark_non_differentiable(self, *tensors: Any) -> None:
        """These outputs get no grad_fn (requires_grad False); backward gets zeros for them."""
        self.non_differentiable.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """False: backward gets None, not zeros, for an output that received no gradient."""
        self.materialize_grads = value

    def mark_dirty(self, *tensors: Any) -> None:
        """Refused: npnn does not rebase an input changed in place onto a custom node."""
        raise NotImplementedError("ctx.mark_dirty is not supported by npnn: return a new tensor "
                                  "(x.clone() changed) instead of changing an input in place")


def _expandable(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Can a gradient of `shape` be summed down to `target` (PyTorch's is_expandable_to)?"""
    try:
        return np.broadcast_shapes(shape, target) == shape
    except ValueError:
        return False


def _version(tensor: Any) -> int:
    box = tensor._version_box
    return box[0] if box is not None else 0


class CustomNode(function.Function):
    """The graph node of one call of a custom Function: runs the user's static backward."""

    def check_versions(self) -> None:
        """Only saved tensors are checked, when backward reads `ctx.saved_tensors`."""

    def _saves(self, array: Any) -> bool:
        return False

    custom: type  # the user's Function class, set on the per-class subclass (survives release)

    def backward(self, grad_output: Any) -> tuple[Any, ...]:
        received, self.received = self.received, set()
        ctx = self.ctx
        grads: list[Any] = []
        for index, (out, part) in enumerate(zip(self.outputs, self.parts, strict=True)):
            if out is None:  # not a Tensor
                grads.append(None)
            elif part is None or (index not in received and not ctx.materialize_grads):
                if ctx.materialize_grads:
                    grads.append(function.detached_tensor(backend.get_array_module(out).zeros_like(out)))
                else:
                    grads.append(None)
            else:
                grad = grad_output if part is True else grad_output[part[0]:part[1]].reshape(out.shape)
                grads.append(function.detached_tensor(grad.astype(out.dtype, copy=False)))
        with no_grad():
            results = self.custom.backward(ctx, *grads)
        if not isinstance(results, tuple):
            results = (results,)
        name = f"{self.name}Backward"
        if len(results) != len(self.positions) and not (
                len(results) > len(self.positions)
                and all(r is None for r in results[len(self.positions):])):
            raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                               f"(expected {len(self.positions)}, got {len(results)})")
        Tensor = function._tensor_class
        arrays = []
        inputs = iter(self.inputs)
        for index, is_tensor in enumerate(self.positions):
            result = results[index]
            if not is_tensor:
                if result is not None:
                    raise RuntimeError(f"function {name} returned a gradient different than None "
                                       f"at position {index + 1}, but the corresponding forward "
                                       f"input was not a Variable")
                continue
            shape = next(inputs).array.shape
            if isinstance(result, Tensor):
                result = result.array
                if not _expandable(result.shape, shape):
                    raise RuntimeError(f"Function {name} returned an invalid gradient at index "
                                       f"{index} - got {list(result.shape)} but expected shape "
                                       f"compatible with {list(shape)}")
            elif result is not None:
                raise TypeError(f"function {name} returned a {type(result).__name__} as the "
                                f"gradient at position {index + 1}: return a Tensor or None")
            arrays.append(result)
        return tuple(arrays)


class _Part(function.Function):
    """One of several differentiable outputs: places its gradient in the flat buffer."""

    def check_versions(self) -> None:
        """Nothing saved here."""

    @property
    def name(self) -> str:
        owner = self.__dict__.get("owner")
        return owner.name if owner is not None else "CustomFunctionOutput"

    def backward(self, grad_output: Any) -> Any:
        flat = self.inputs[0].array
        xp = backend.get_array_module(flat)
        grad = xp.zeros(flat.shape, flat.dtype)
        grad[self.start:self.stop] = grad_output.reshape(-1)
        self.owner.received.add(self.index)
        return grad


def apply(cls: type, *args: Any, **kwargs: Any) -> Any:
    """`MyFunction.apply(...)`: forward under no_grad, then the node if any input needs grad."""
    Tensor = function._tensor_class
    positions = tuple(isinstance(a, Tensor) for a in args)
    needs = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
    ctx = FunctionCtx(needs)
    new_style = "setup_context" in _defined(cls)
    with no_grad():
        if new_style:
            result = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, result)
        else:
            result = cls.forward(ctx, *args, **kwargs)
    if not (any(needs) and is_grad_enabled()):
        return result
    single = not isinstance(result, tuple)
    outputs = (result,) if single else result
    node = cls._custom_node()
    node.ctx, node.positions, node.received = ctx, positions, set()
    tensors = tuple(a for a in args if isinstance(a, Tensor))
    node.inputs = tensors
    node.needs_input_grad = tuple(t._requires_grad for t in tensors)
    node.parents = [t.grad_fn for t in tensors]
    node.versions = [0] * len(tensors)
    node.output_box, node.output_version = [0], 0
    differentiable = [i for i, out in enumerate(outputs) if isinstance(out, Tensor)
                      and id(out) not in ctx.non_differentiable
                      and out.dtype.kind in "fc"]
    node.outputs = [out.array if isinstance(out, Tensor) else None for out in outputs]
    node.parts = [None] * len(outputs)
    wrapped = list(outputs)
    if len(differentiable) == 1:
        i = differentiable[0]
        node.parts[i] = True
        node.output = outputs[i].array
        wrapped[i] = _rewrap(outputs[i], node)
    elif differentiable:
        sizes = [outputs[i].array.size for i in differentiable]
        dtype = np.result_type(*[outputs[i].array.dtype for i in differentiable])
        xp = backend.get_array_module(outputs[differentiable[0]].array)
        flat = Tensor._from_op(xp.empty(sum(sizes), dtype), node)
        node.output = flat.array
        start = 0
        for i, size in zip(differentiable, sizes, strict=True):
            part = _Part()
            part.owner, part.index, part.start, part.stop = node, i, start, start + size
            node.parts[i] = (start, start + size)
            part.inputs, part.parents, part.versions = (flat,), [node], [0]
            part.needs_input_grad, part.output_box, part.output_version = (True,), [0], 0
            part.output = outputs[i].array
            wrapped[i] = _rewrap(outputs[i], part)
            start += size
    for i, out in enumerate(outputs):
        if isinstance(out, Tensor) and i not in differentiable:
            wrapped[i] = Tensor._from_op(out.array, None) if out._requires_grad else out
    return wrapped[0] if single else tuple(wrapped)


def _rewrap(output: Any, node: function.Function) -> Any:
    """The output as a new Tensor of `node`, sharing the version counter of the one forward made
    (an input returned as it is stays the same memory, as PyTorch's view of it)."""
    if output._version_box is None:
        output._version_box = [0]
    tensor = function._tensor_class._from_op(output.array, node)
    tensor._version_box = output._version_box
    return tensor


def _defined(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is function.Function:
            break
        names.update(vars(klass))
    return names


def node_class(cls: type) -> type:
    """The node class of custom Function `cls`, named as its `grad_fn` prints in PyTorch."""
    return type(cls.__name__, (CustomNode,), {"custom": cls, "__module__": cls.__module__})


function.set_custom_form(apply, node_class)
