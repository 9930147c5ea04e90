"""Mean squared error as one graph node, as PyTorch's: `loss.grad_fn` is the loss's node, whose
`next_functions` lead straight to the node that made the input (the model's last layer)."""

from __future__ import annotations

from typing import Any

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.loss import _check_reduction, _check_same_shape


class MseLoss(Function):
    def forward(self, input, target, reduction="mean"):
        xp = backend.get_array_module(input)
        self.diff, self.reduction = input - target, reduction
        squares = self.diff * self.diff
        if reduction == "none":
            return squares
        return xp.asarray(squares.sum() if reduction == "sum" else squares.mean(), dtype=squares.dtype)

    def backward(self, grad_output):
        scale = 2 / self.diff.size if self.reduction == "mean" else 2
        grad = (grad_output * scale) * self.diff
        return (grad if self.needs_input_grad[0] else None,
                -grad if self.needs_input_grad[1] else None)


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error (x - y)²."""
    _check_reduction(reduction, "mse_loss")
    input, target = to_tensor(input), to_tensor(target)
    _check_same_shape(input, target, "mse_loss")
    return MseLoss.apply(input, target, reduction=reduction)
