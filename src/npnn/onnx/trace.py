"""Recording a model's forward pass as the list of npnn ops it calls (torch.onnx's tracing).

Every differentiable op goes through `Function.apply`, so replacing it for the length of one
forward call sees each op with its inputs, its settings and its output, and replacing
`Module.__call__` says which layer was running it. Both are put back before `trace` returns,
so nothing is slower outside an export. The example input requires grad while it is traced:
the few ops that skip the Function for inputs without grad (a cast) then record theirs too.

Values are known by their arrays as they were at each call: an in-place update (x.add_(1))
runs its op out of place and writes the result into the tensor's own array, which the trace
records as an `Adopt`, so later uses of that array read the updated value.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from npnn._tensor import Tensor
from npnn.autograd.function import Function
from npnn.autograd.grad_mode import enable_grad
from npnn.nn.module import Module
from npnn.ops import inplace


@dataclass
class Call:
    """One op of the forward pass: its Function, what `apply` got and gave, and the layer."""

    function: type[Function]
    inputs: tuple[Any, ...]
    kwargs: dict[str, Any]
    output: Tensor
    layer: str  # "layers.3 (Dropout)", or "the model (Net)" in the model's own forward
    arrays: tuple[Any, ...] = ()  # each input's array (or the value itself) when it was called
    output_array: Any = None

    @property
    def op(self) -> str:
        return self.function.__name__


@dataclass
class Adopt:
    """An in-place update: `array` (a tensor's) now holds the value of `source` (an op's output)."""

    array: Any
    source: Any


@contextlib.contextmanager
def eval_mode(model: Module) -> Iterator[None]:
    """`model.eval()` for the block, then every module's own mode back, as torch.onnx exports."""
    modes = [(module, module.training) for _, module in model.named_modules()]
    model.eval()
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training


def trace(model: Module, inputs: Sequence[Tensor]) -> tuple[list[Call | Adopt], Any]:
    """The ops `model(*inputs)` calls and the in-place updates, in order, and what it returns."""
    calls: list[Call | Adopt] = []
    layers: list[str] = []
    names = {id(module): name for name, module in model.named_modules()}
    original_apply = Function.__dict__["apply"]
    original_call = Module.__call__
    original_adopt = inplace._adopt

    def apply(cls: type[Function], *args: Any, **kwargs: Any) -> Tensor:
        arrays = tuple(item.array if isinstance(item, Tensor) else item for item in args)
        output = original_apply.__func__(cls, *args, **kwargs)
        calls.append(Call(cls, args, kwargs, output, layers[-1] if layers else "the model's forward",
                          arrays, output.array))
        return output

    def adopt(tensor: Tensor, result: Tensor) -> None:
        original_adopt(tensor, result)
        calls.append(Adopt(tensor.array, result.array))

    def call(module: Module, *args: Any, **kwargs: Any) -> Any:
        name = names.get(id(module)) or "the model"
        layers.append(f"{name} ({type(module).__name__})")
        try:
            return original_call(module, *args, **kwargs)
        finally:
            layers.pop()

    Function.apply = classmethod(apply)  # type: ignore[method-assign, assignment]
    Module.__call__ = call  # type: ignore[method-assign]
    inplace._adopt = adopt
    try:
        with enable_grad():  # under no_grad, in-place updates would skip the op the trace sees
            output = model(*inputs)
    finally:
        Function.apply = original_apply  # type: ignore[method-assign]
        Module.__call__ = original_call  # type: ignore[method-assign]
        inplace._adopt = original_adopt
    return calls, output
