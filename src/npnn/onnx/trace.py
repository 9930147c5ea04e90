"""Recording a model's forward pass as the list of npnn ops it calls (torch.onnx's tracing).

Every differentiable op goes through `Function.apply`, so replacing it for the length of one
forward call sees each op with its inputs, its settings and its output, and replacing
`Module.__call__` says which layer was running it. Both are put back before `trace` returns,
so nothing is slower outside an export. The example input requires grad while it is traced:
the few ops that skip the Function for inputs without grad (a cast) then record theirs too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from npnn._tensor import Tensor
from npnn.autograd.function import Function
from npnn.nn.module import Module


@dataclass
class Call:
    """One op of the forward pass: its Function, what `apply` got and gave, and the layer."""

    function: type[Function]
    inputs: tuple[Any, ...]
    kwargs: dict[str, Any]
    output: Tensor
    layer: str  # "layers.3 (Dropout)", or "the model's forward" outside every sub-module

    @property
    def op(self) -> str:
        return self.function.__name__


def trace(model: Module, inputs: Sequence[Tensor]) -> tuple[list[Call], Any]:
    """The ops `model(*inputs)` calls, in order, and what it returns."""
    calls: list[Call] = []
    layers: list[str] = []
    names = {id(module): name for name, module in model.named_modules()}
    original_apply = Function.__dict__["apply"]
    original_call = Module.__call__

    def apply(cls: type[Function], *args: Any, **kwargs: Any) -> Tensor:
        output = original_apply.__func__(cls, *args, **kwargs)
        calls.append(Call(cls, args, kwargs, output, layers[-1] if layers else "the model's forward"))
        return output

    def call(module: Module, *args: Any, **kwargs: Any) -> Any:
        name = names.get(id(module)) or "the model"
        layers.append(f"{name} ({type(module).__name__})")
        try:
            return original_call(module, *args, **kwargs)
        finally:
            layers.pop()

    Function.apply = classmethod(apply)  # type: ignore[method-assign, assignment]
    Module.__call__ = call  # type: ignore[method-assign]
    try:
        output = model(*inputs)
    finally:
        Function.apply = original_apply  # type: ignore[method-assign]
        Module.__call__ = original_call  # type: ignore[method-assign]
    return calls, output
