"""Matrix products: matmul (1-D, 2-D, batched with broadcasting) and the fused linear layer."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.out import write_out


class MatMul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad_output):
        a, b = self.a, self.b
        xp = backend.get_array_module(grad_output)
        if a.ndim == 1 and b.ndim == 1:
            return grad_output * b, grad_output * a
        # view vectors as matrices: a (k,) -> (1, k), b (k,) -> (k, 1)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad_output
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = g2 @ xp.swapaxes(b2, -1, -2)
            if a.ndim == 1:
                grad_a = grad_a[..., 0, :]
        if self.needs_input_grad[1]:
            grad_b = xp.swapaxes(a2, -1, -2) @ g2
            if b.ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b


def _check_same_dtype(a: Tensor, b: Tensor, op: str, names: str) -> None:
    """As PyTorch, a product of floats of different dtypes is an error, not a silent upcast."""
    if a.array.dtype == b.array.dtype:  # the usual case, read without the dtype property
        return
    if "f" in (a.dtype.kind, b.dtype.kind):
        raise RuntimeError(
            f"{op}: {names} must have the same dtype, got {a.dtype} and {b.dtype}; convert one "
            "of them, e.g. input.float() for float32 weights or model.double() for float64"
        )


def matmul(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """Matrix product with NumPy/PyTorch rules for 1-D and batched (broadcast) operands."""
    a, b = to_tensor(input), to_tensor(other)
    _check_same_dtype(a, b, "matmul", "both operands")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dim, got shapes {a.shape} and {b.shape}")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise RuntimeError(
            f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied ({inner_a} != {inner_b})"
        )
    batch_a, batch_b = a.shape[:-2], b.shape[:-2]
    try:
        np.broadcast_shapes(batch_a, batch_b)
    except ValueError:
        raise RuntimeError(
            f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied: batch dims "
            f"{batch_a} and {batch_b} do not broadcast"
        ) from None
    return write_out(MatMul.apply(a, b), out, "matmul")


class Linear(Function):
    """A batched input is flattened to one (rows, in_features) product: NumPy runs a 3-D @ 2-D
    matmul as one small product per leading index, and a transposed view without BLAS at all."""

    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        out = (x if x.ndim <= 2 else _rows(x)) @ weight.T
        if bias is not None:
            out += bias
        return out.reshape(*x.shape[:-1], weight.shape[0]) if x.ndim > 2 else out

    def backward(self, grad_output):
        x, weight = self.x, self.weight
        grad_x = None
        if self.needs_input_grad[0]:
            grad_x = (grad_output if grad_output.ndim <= 2 else _rows(grad_output)) @ weight
            grad_x = grad_x.reshape(x.shape) if x.ndim > 2 else grad_x
        grad_weight = grad_bias = None
        out_features = weight.shape[0]
        flat_grad = grad_output.reshape(-1, out_features)
        if self.needs_input_grad[1]:
            grad_weight = flat_grad.T @ x.reshape(-1, weight.shape[1])
        if len(self.needs_input_grad) == 2:
            return grad_x, grad_weight
        if self.needs_input_grad[2]:
            grad_bias = flat_grad.sum(axis=0)
        return grad_x, grad_weight, grad_bias


def _rows(array: Any) -> Any:
    """A batched (..., features) array as one 2-D product's rows: NumPy would otherwise make
    one small product per leading index."""
    return array.reshape(-1, array.shape[-1])


def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:
    """x @ weight.T + bias, fused: one matmul forward, two backward."""
    x, weight = to_tensor(input), to_tensor(weight)
    x_shape, weight_data = x.array.shape, weight.array
    if not x_shape or x_shape[-1] != weight_data.shape[-1]:
        raise RuntimeError(
            f"linear: input of shape {x.shape} does not match weight of shape {weight.shape} "
            f"(input's last dim must be in_features={weight.shape[-1]})"
        )
    _check_same_dtype(x, weight, "linear", "input and weight")
    if bias is None:
        return Linear.apply(x, weight)
    return Linear.apply(x, weight, bias)
