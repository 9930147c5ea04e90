"""Module hooks (forward pre/post, full backward and backward pre) and dotted lookups, as PyTorch's.

`Module.__call__` pays for hooks only when a module has some: the hook dicts live in
`_module_hooks`, which stays None until a hook is registered (and again once all are removed).
Full backward hooks work as PyTorch's `BackwardHook`: the module's Tensor inputs and outputs pass
through an identity node whose tensor hooks collect grad_output and grad_input. npnn differs in
one way: each tensor gets its own identity node, so a hook may replace only the gradient that
arrived last when a module has several Tensor inputs (or outputs); replacing another raises.
"""

from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from npnn._tensor import Tensor
from npnn.autograd.function import Function
from npnn.autograd.grad_mode import is_grad_enabled

_ids = itertools.count()
_KINDS = ("forward_pre", "forward", "backward", "backward_pre")


class RemovableHandle:
    """What a register_*_hook returns: `remove()` unregisters the hook (also on leaving a `with`)."""

    def __init__(self, owner: Any, kind: str, extra: tuple[str, ...] = ()) -> None:
        self.id = next(_ids)
        self._owner, self._kind, self._extra = owner, kind, extra

    def remove(self) -> None:
        state = self._owner._module_hooks
        if state is None:
            return
        state[self._kind].pop(self.id, None)
        for name in self._extra:
            state[name].discard(self.id)
        if not any(state[kind] for kind in _KINDS):
            object.__setattr__(self._owner, "_module_hooks", None)  # back to the fast path

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.remove()


class ModuleHooks:
    """Mixed into Module: the register_*_hook methods and get_parameter/get_buffer."""

    _module_hooks: dict[str, Any] | None = None

    def _add_hook(self, kind: str, hook: Callable[..., Any], prepend: bool,
                  flags: tuple[str, ...] = ()) -> RemovableHandle:
        state = self._module_hooks
        if state is None:
            state = {kind: OrderedDict() for kind in _KINDS}
            state.update(with_kwargs=set(), pre_with_kwargs=set(), always_call=set())
            object.__setattr__(self, "_module_hooks", state)
        handle = RemovableHandle(self, kind, flags)
        state[kind][handle.id] = hook
        if prepend:
            state[kind].move_to_end(handle.id, last=False)
        for name in flags:
            state[name].add(handle.id)
        return handle

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """`hook(module, args)` (or `hook(module, args, kwargs)`) before forward; a value it
        returns replaces args (or is the `(args, kwargs)` pair)."""
        return self._add_hook("forward_pre", hook, prepend, ("pre_with_kwargs",) if with_kwargs else ())

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False, always_call: bool = False) -> RemovableHandle:
        """`hook(module, args, output)` (or `hook(module, args, kwargs, output)`) after forward; a
        value it returns replaces the output. `always_call` runs it even if forward raised."""
        flags = (("with_kwargs",) if with_kwargs else ()) + (("always_call",) if always_call else ())
        return self._add_hook("forward", hook, prepend, flags)

    def register_full_backward_hook(self, hook: Callable[..., Any],
                                    prepend: bool = False) -> RemovableHandle:
        """`hook(module, grad_input, grad_output)` once the gradients w.r.t. the module's
        positional Tensor inputs are computed; a tuple it returns replaces grad_input."""
        return self._add_hook("backward", hook, prepend)

    def register_full_backward_pre_hook(self, hook: Callable[..., Any],
                                        prepend: bool = False) -> RemovableHandle:
        """`hook(module, grad_output)` before the module's gradients are computed; a tuple it
        returns replaces grad_output."""
        return self._add_hook("backward_pre", hook, prepend)

    def register_backward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Refused: PyTorch deprecates it (its grad_input is wrong for most modules)."""
        raise NotImplementedError("npnn has no register_backward_hook (deprecated in PyTorch): use "
                                  "register_full_backward_hook")

    def get_parameter(self, target: str) -> Any:
        """The Parameter at a dotted path such as 'layers.0.weight' (PyTorch's error texts)."""
        module, name = _owner_of(self, target)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        if name not in module._parameters or module._parameters[name] is None:
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return module._parameters[name]

    def get_buffer(self, target: str) -> Any:
        """The buffer at a dotted path such as 'bn.running_mean' (PyTorch's error texts)."""
        module, name = _owner_of(self, target)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return module._buffers[name]


def _owner_of(module: Any, target: str) -> tuple[Any, str]:
    path, _, name = target.rpartition(".")
    for part in path.split(".") if path else []:
        if not hasattr(module, part):
            raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
        child = getattr(module, part)
        if not isinstance(child, ModuleHooks):
            raise AttributeError(f"`{part}` is not an nn.Module")
        module = child
    return module, name


def call_with_hooks(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Module.__call__ when the module has hooks: PyTorch's `_call_impl` order."""
    state = module._module_hooks
    for key, hook in list(state["forward_pre"].items()):
        if key in state["pre_with_kwargs"]:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError("forward pre-hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {result}.")
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    backward = None
    if (state["backward"] or state["backward_pre"]) and is_grad_enabled():
        backward = _BackwardCall(module, state)
        args = backward.setup_inputs(args)
    called: set[int] = set()
    try:
        output = module.forward(*args, **kwargs)
        for key, hook in list(state["forward"].items()):
            called.add(key)
            if key in state["with_kwargs"]:
                result = hook(module, args, kwargs, output)
            else:
                result = hook(module, args, output)
            if result is not None:
                output = result
    except Exception:
        for key, hook in list(state["forward"].items()):
            if key in state["always_call"] and key not in called:
                if key in state["with_kwargs"]:
                    hook(module, args, kwargs, None)
                else:
                    hook(module, args, None)
        raise
    if backward is not None:
        output = backward.setup_outputs(output)
    return output


class BackwardHookFunction(Function):
    """Identity whose node carries a module's backward hooks (PyTorch's BackwardHookFunction)."""

    def forward(self, x: Any) -> Any:
        return x.view()

    def backward(self, grad_output: Any) -> Any:
        return grad_output


class _BackwardCall:
    """One call's gradient bookkeeping: grad_output is collected by the output tensors' hooks,
    grad_input by the input tensors' hooks; the user hooks run when the last one arrives."""

    def __init__(self, module: Any, state: dict[str, Any]) -> None:
        self.module, self.state = module, state
        self.n_inputs, self.input_slots, self.output_slots = 0, [], []
        self.grad_inputs: list[Any] = []
        self.grad_outputs: list[Any] = []
        self.arrived_in = self.arrived_out = 0

    def setup_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        self.n_inputs = len(args)
        self.input_slots = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        new = list(args)
        for i in self.input_slots:
            new[i] = BackwardHookFunction.apply(args[i])
            new[i].register_hook(self._input_hook(i))
        self.grad_inputs = [None] * self.n_inputs
        return tuple(new)

    def setup_outputs(self, output: Any) -> Any:
        single = isinstance(output, Tensor)
        if not single and not isinstance(output, tuple):
            warnings.warn("For backward hooks to be called, module output should be a Tensor or a "
                          f"tuple of Tensors but received {type(output)}", stacklevel=3)
            return output
        outputs = [output] if single else list(output)
        self.output_slots = [j for j, o in enumerate(outputs) if isinstance(o, Tensor) and o.requires_grad]
        for j in self.output_slots:
            outputs[j] = BackwardHookFunction.apply(outputs[j])
            outputs[j].register_hook(self._output_hook(j))
        self.grad_outputs = [None] * len(outputs)
        return outputs[0] if single else tuple(outputs)

    def _output_hook(self, j: int) -> Callable[[Any], Any]:
        def hook(grad: Any) -> Any:
            self.grad_outputs[j] = grad
            self.arrived_out += 1
            if self.arrived_out < len(self.output_slots):
                return None
            self.arrived_out = 0
            for user_hook in list(self.state["backward_pre"].values()):
                result = user_hook(self.module, tuple(self.grad_outputs))
                if result is not None:
                    self.grad_outputs = _replaced(self.grad_outputs, result, j, "grad_output")
            if not self.input_slots and self.state["backward"]:
                self._hooks_without_input_grad()
            return self.grad_outputs[j]
        return hook

    def _hooks_without_input_grad(self) -> None:
        warnings.warn("Full backward hook is firing when gradients are computed with respect to "
                      "module outputs since no inputs require gradients.", stacklevel=2)
        for user_hook in list(self.state["backward"].values()):
            result = user_hook(self.module, (None,) * self.n_inputs, tuple(self.grad_outputs))
            if result is not None and not (isinstance(result, tuple) and all(r is None for r in result)):
                raise RuntimeError("Backward hook for Modules where no input requires gradient should "
                                   "always return None or None for all gradients.")

    def _input_hook(self, i: int) -> Callable[[Any], Any]:
        def hook(grad: Any) -> Any:
            self.grad_inputs[i] = grad
            self.arrived_in += 1
            if self.arrived_in < len(self.input_slots):
                return None
            self.arrived_in = 0
            for user_hook in list(self.state["backward"].values()):
                result = user_hook(self.module, tuple(self.grad_inputs), tuple(self.grad_outputs))
                if result is not None:
                    self.grad_inputs = _replaced(self.grad_inputs, result, i, "grad_input")
            grad_input, self.grad_inputs = self.grad_inputs[i], [None] * self.n_inputs
            return grad_input
        return hook


def _replaced(current: list[Any], result: Any, last: int, what: str) -> list[Any]:
    """A hook's replacement tuple, checked; npnn can apply it only at the slot that arrived last."""
    if not isinstance(result, tuple) or len(result) != len(current):
        got = len(result) if isinstance(result, tuple) else type(result).__name__
        raise RuntimeError(f"Backward hook returned an invalid number of {what}, got {got}, but "
                           f"expected {len(current)}")
    for k, (old, new) in enumerate(zip(current, result, strict=True)):
        if k != last and new is not old and old is not None:
            raise RuntimeError(f"npnn can replace only the last-arriving {what} of a module with "
                               f"several Tensors (index {last}); replace the others with a "
                               "Tensor.register_hook on that tensor instead")
    return list(result)
