"""`grad`: gradients of outputs with respect to chosen inputs, returned rather than accumulated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from npnn import backend
from npnn.autograd import engine, function
from npnn.dtypes import to_array

if TYPE_CHECKING:
    from npnn._tensor import Tensor


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """sum_i d(outputs[i])/d(input) · grad_outputs[i] for each input, as torch.autograd.grad.

    No `.grad` is written, of the inputs or of any other leaf. `grad_outputs` may be left out
    (or None per output) for scalar outputs. The graph is freed unless `retain_graph=True`.
    Differs from PyTorch: `create_graph=True` (gradients that are differentiable again) is
    NotImplementedError, and there is no `is_grads_batched` or `materialize_grads`.
    """
    if create_graph:
        raise NotImplementedError("npnn.autograd.grad(create_graph=True) is not supported: "
                                  "npnn's backward does not record a graph of its own (no "
                                  "higher-order gradients); pass create_graph=False")
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    grad_outputs = _as_list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(grad_outputs)} "
                           f"grad_outputs for {len(outputs)} outputs")
    for i, output in enumerate(outputs):
        if not output.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
    for tensor in inputs:
        if not tensor.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    arrays = [_grad_output_array(output, value) for output, value in zip(outputs, grad_outputs,
                                                                       strict=True)]
    results = engine.run_grad(outputs, arrays, inputs, retain_graph=bool(retain_graph))
    if not allow_unused and any(result is None for result in results):
        raise RuntimeError("One of the differentiated Tensors appears to not have been used in "
                           "the graph. Set allow_unused=True if this is the desired behavior.")
    # copies: a gradient may be the caller's grad_output or an array another gradient shares
    return tuple(None if result is None else function.detached_tensor(result.copy())
                 for result in results)


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, function._tensor_class) else list(value)


def _grad_output_array(output: Tensor, value: Any) -> Any:
    """The vector of the vector-Jacobian product: ones for a scalar output, else `value` checked."""
    if value is None:
        if output.array.size != 1:
            raise RuntimeError(f"grad can be implicitly created only for scalar outputs: pass "
                               f"grad_outputs with a tensor of shape {output.shape} for it")
        return backend.get_array_module(output.array).ones_like(output.array)
    array = to_array(value.array if isinstance(value, function._tensor_class) else value)
    if array.shape != output.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output has a shape of {array.shape} and "
                           f"output has a shape of {output.shape}")
    return array.astype(output.dtype, copy=False)
