"""`Module`: registers parameters, buffers and sub-modules through attribute assignment."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from npnn import backend
from npnn._tensor import Tensor
from npnn.nn.module_hooks import ModuleHooks, call_with_hooks
from npnn.nn.parameter import Parameter


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class Module(ModuleHooks):
    """Base class of layers and models, with PyTorch's data model.

    Subclasses set Parameters, Modules and (via `register_buffer`) buffers as
    attributes in `__init__` and implement `forward`. Hooks and get_parameter/get_buffer come
    from `ModuleHooks` (module_hooks.py).
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ----- registration -----
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() runs: call super().__init__() "
                "first in your module's __init__"
            )
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._forget(name, keep=params)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to parameter {name!r}: "
                                "use nn.Parameter(...) or None")
            params[name] = None
        elif name in buffers:
            buffers[name] = None if value is None else _as_buffer(value)
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to sub-module {name!r}")
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: look in the registries
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def _forget(self, name: str, keep: OrderedDict[str, Any] | None = None) -> None:
        """Unregister `name` everywhere but `keep`, where a reassigned entry keeps its place."""
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        if keep is not self._buffers:
            self._non_persistent.discard(name)
        self.__dict__.pop(name, None)

    def _check_free(self, name: str, registry: OrderedDict[str, Any]) -> None:
        """As PyTorch: registering may not hide an attribute or another kind of entry (a
        ModuleDict key 'training' would have replaced the module's train/eval flag)."""
        if name not in registry and hasattr(self, name):
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}) needs an nn.Parameter or None")
        _check_name(name, "parameter")
        self._check_free(name, self._parameters)
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """A tensor saved in the state_dict but not trained (e.g. running statistics)."""
        _check_name(name, "buffer")
        self._check_free(name, self._buffers)
        self._forget(name, keep=self._buffers)
        self._buffers[name] = None if tensor is None else _as_buffer(tensor)
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}) needs a Module, got {type(module).__name__}")
        _check_name(name, "module")
        self._check_free(name, self._modules)
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    # ----- calling -----
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._module_hooks is None:  # the fast path: no hooks registered
            return self.forward(*args, **kwargs)
        return call_with_hooks(self, args, kwargs)

    # ----- traversal -----
    def named_modules(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module and all below it, depth first (iterative, no recursion limit).

        A shared module is listed once unless `remove_duplicate` is False.
        """
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate and id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct sub-modules in registration order; one registered twice is listed once."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            for name, member in getattr(module, registry).items():
                if member is None or id(member) in seen:
                    continue
                seen.add(id(member))
                yield (f"{module_name}.{name}" if module_name else name), member

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a shared parameter appears once."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call fn on each child's tree in registration order (children first), then on self.

        The order is PyTorch's post-order; module trees are shallow, so recursion is fine.
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def get_submodule(self, target: str) -> Module:
        """The sub-module at a dotted path such as 'layers.0' ('' is self)."""
        module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(
                    f"{type(module).__name__} has no sub-module {part!r} (looking up {target!r}); "
                    f"its sub-modules are {list(module._modules)}"
                )
            module = child
        return module

    # ----- modes and gradients -----
    def train(self, mode: bool = True) -> Module:
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad.array[...] = 0

    # ----- state -----
    def state_dict(self, prefix: str = "") -> OrderedDict[str, Any]:
        """Dotted names to detached Tensors (parameters, then persistent buffers, per module).

        `prefix` is prepended as given (e.g. "model."), and a shared sub-module appears under
        each of its names, as in PyTorch. The Tensors share memory with the module, as
        PyTorch's do: `clone()` them to keep a snapshot while training goes on.
        """
        return OrderedDict((prefix + key, tensor.detach())
                           for key, tensor in self._state_tensors().items())

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy Tensors (or arrays) into this module's parameters and buffers, in place.

        Mis-shaped keys are always an error; missing and unexpected keys are errors when
        `strict`, and are returned either way. All problems are reported at once.
        """
        own = self._state_tensors()
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        mis_shaped = [
            f"{key}: checkpoint {tuple(np.shape(state_dict[key]))} vs model {own[key].shape}"
            for key in own if key in state_dict and tuple(np.shape(state_dict[key])) != own[key].shape
        ]
        problems = []
        if mis_shaped:
            problems.append("size mismatch for " + "; ".join(mis_shaped))
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}: "
                + " | ".join(problems)
                + ". Check that the checkpoint was saved from the same architecture"
                + (" (or pass strict=False to skip missing/unexpected keys)." if not mis_shaped else ".")
            )
        for key, tensor in own.items():
            if key in state_dict:
                value = state_dict[key]
                value = value.array if isinstance(value, Tensor) else value
                xp = backend.get_array_module(tensor.array)
                tensor.array[...] = xp.asarray(value, dtype=tensor.dtype)
        return IncompatibleKeys(missing, unexpected)

    def _state_tensors(self) -> OrderedDict[str, Tensor]:
        tensors: OrderedDict[str, Tensor] = OrderedDict()
        for module_name, module in self.named_modules(remove_duplicate=False):
            dot = f"{module_name}." if module_name else ""
            for name, param in module._parameters.items():
                if param is not None:
                    tensors[dot + name] = param
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent:
                    tensors[dot + name] = buffer
        return tensors

    # ----- dtype and device -----
    def to(self, *args: Any, device: Any = None, dtype: Any = None) -> Module:
        """Move parameters and buffers to a device and/or convert the floating ones to a dtype.

        Accepts `to(dtype)`, `to(device)`, `to(device, dtype)` and the keywords, as PyTorch.
        Works in place (the Parameter objects stay the same, so optimizers keep them).
        """
        for arg in args:
            if backend.is_device(arg):
                device = arg
            else:
                dtype = arg
        for tensor in list(self.parameters()) + list(self.buffers()):
            if device is not None:
                tensor.array = backend.to_device(tensor.array, device)
                if tensor.grad is not None:
                    tensor.grad.array = backend.to_device(tensor.grad.array, device)
            if dtype is not None and tensor.dtype.kind == "f":
                tensor.array = tensor.array.astype(np.dtype(dtype))
                if tensor.grad is not None:
                    tensor.grad.array = tensor.grad.array.astype(np.dtype(dtype))
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    def half(self) -> Module:
        """Floating parameters and buffers to float16 (npnn then computes in float16 on NumPy)."""
        return self.to(np.float16)

    def bfloat16(self) -> Module:
        """Refused: NumPy has no bfloat16 dtype, so npnn has none."""
        raise TypeError("npnn has no bfloat16 (NumPy has no such dtype): use .half() for 16-bit "
                        "floats or keep .float()")

    def type(self, dst_type: Any) -> Module:
        """Every parameter and buffer to `dst_type`, integer ones too (as PyTorch's Module.type)."""
        dtype = np.dtype(dst_type)
        for tensor in list(self.parameters()) + list(self.buffers()):
            tensor.array = tensor.array.astype(dtype)
            if tensor.grad is not None:
                tensor.grad.array = tensor.grad.array.astype(dtype)
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self) -> Module:
        return self.to("cuda")

    # ----- repr -----
    def extra_repr(self) -> str:
        """One line of settings shown inside the module's repr."""
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + _indent(repr(module)) for name, module in self._modules.items()]
        extra = self.extra_repr()
        head = extra.split("\n") if extra else []
        if not lines and len(head) <= 1:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(head + lines)  # a multi-line extra_repr (ParameterList) gets a line each
        return f"{type(self).__name__}(\n  {body}\n)"


def _check_name(name: Any, kind: str) -> None:
    """Registered names are state_dict key parts, so they are non-empty and dot-free (as PyTorch)."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name must be a str, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{kind} name {name!r} must be non-empty and contain no '.', which separates "
                       "the parts of state_dict keys")


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


def _as_buffer(value: Any) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return Tensor(value)
