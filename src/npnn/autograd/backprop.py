"""`npnn.autograd.backward`: backward from several tensors at once, as torch.autograd.backward."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from npnn.autograd import function, gradients
from npnn.autograd.grad_mode import enable_grad

if TYPE_CHECKING:
    from npnn._tensor import Tensor


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None,
             retain_graph: bool | None = None, create_graph: bool = False,
             inputs: Tensor | Sequence[Tensor] | None = None) -> None:
    """Sum into each leaf's `.grad` the gradients of all `tensors` (weighted by `grad_tensors`;
    None for a scalar). With `inputs`, only those tensors' `.grad` are written. The graph is
    freed unless `retain_graph=True`. create_graph=True is NotImplementedError, as in `grad`."""
    if create_graph:
        raise NotImplementedError("npnn.autograd.backward(create_graph=True) is not supported: "
                                  "no higher-order gradients; pass create_graph=False")
    Tensor = function._tensor_class
    roots = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grads = [grad_tensors] * len(roots) if grad_tensors is None else [grad_tensors]
    else:
        grads = list(grad_tensors)
    if len(grads) != len(roots):
        raise RuntimeError(f"grad_tensors should have the same length as tensors: got "
                           f"{len(grads)} and {len(roots)}")
    if inputs is not None:
        wanted = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        if not wanted:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        results = gradients.grad(roots, wanted, grads, retain_graph=retain_graph, allow_unused=True)
        for tensor, result in zip(wanted, results, strict=True):
            if result is not None:
                tensor.grad = result if tensor.grad is None else tensor.grad + result
        return
    if len(roots) == 1:
        roots[0].backward(grads[0], retain_graph=bool(retain_graph))
        return
    for i, root in enumerate(roots):
        if not root.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
    with enable_grad():  # one root whose gradient is each tensor's, weighted: one sweep
        total = None
        for root, grad in zip(roots, grads, strict=True):
            term = (root * (grad.detach() if isinstance(grad, Tensor) else grad)).sum() \
                if grad is not None else root.sum()
            total = term if total is None else total + term
    total.backward(retain_graph=bool(retain_graph))
