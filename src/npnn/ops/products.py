"""PyTorch's fixed-rank products, composed from matmul: mm, bmm, mv, dot, outer, addmm,
baddbmm, and cdist (pairwise distances). Each checks the ranks PyTorch requires, so code
that runs here runs there."""

from __future__ import annotations

from typing import Any

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.elementwise import add, mul, sub
from npnn.ops.linalg import matmul
from npnn.ops.reduction import norm
from npnn.ops.shape import unsqueeze


def _ranked(op: str, *pairs: tuple[str, Any, int]) -> list[Tensor]:
    """The operands as Tensors, each checked to have its required number of dims."""
    tensors = []
    for name, value, ndim in pairs:
        tensor = to_tensor(value)
        if tensor.ndim != ndim:
            raise RuntimeError(f"{op}: {name} must be a {ndim}D tensor, got {tensor.ndim}D "
                               f"(shape {list(tensor.shape)})")
        tensors.append(tensor)
    return tensors


def _same_dtype(op: str, *tensors: Tensor) -> None:
    """As PyTorch, these products refuse operands of different dtypes (int ones too)."""
    dtypes = [t.dtype for t in tensors]
    if any(d != dtypes[0] for d in dtypes):
        raise RuntimeError(f"{op}: operands must have the same dtype, got "
                           f"{', '.join(str(d) for d in dtypes)}; convert them, e.g. with .float()")


def mm(input: Any, mat2: Any) -> Tensor:
    """The product of two matrices."""
    a, b = _ranked("mm", ("self", input, 2), ("mat2", mat2, 2))
    _same_dtype("mm", a, b)
    return matmul(a, b)


def bmm(input: Any, mat2: Any) -> Tensor:
    """Batched matrix product: (b, n, m) @ (b, m, p) -> (b, n, p), without broadcasting."""
    a, b = _ranked("bmm", ("batch1", input, 3), ("batch2", mat2, 3))
    _same_dtype("bmm", a, b)
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    return matmul(a, b)


def mv(input: Any, vec: Any) -> Tensor:
    """Matrix times vector."""
    a, b = _ranked("mv", ("self", input, 2), ("vec", vec, 1))
    _same_dtype("mv", a, b)
    return matmul(a, b)


def dot(input: Any, tensor: Any) -> Tensor:
    """The inner product of two vectors of the same length."""
    a, b = _ranked("dot", ("1D tensors expected, but got self", input, 1), ("tensor", tensor, 1))
    _same_dtype("dot", a, b)
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    return matmul(a, b)


def outer(input: Any, vec2: Any) -> Tensor:
    """The outer product: out[i, j] = input[i] * vec2[j]; unlike mm, mixed dtypes promote
    (int64 x float32 -> float32), as PyTorch."""
    a, b = _ranked("outer", ("self", input, 1), ("vec2", vec2, 1))
    return mul(unsqueeze(a, 1), b)


class IgnoreInput(Function):
    """`product` as it is, with `input` in the graph at gradient 0: beta = 0 ignores input's
    values (NaN included) but, as PyTorch, input still gets a zero gradient, not None."""

    def forward(self, product, input):
        self.input_shape = input.shape
        return product.copy()

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        return grad_output, xp.zeros(self.input_shape, grad_output.dtype)


def _scaled_sum(op: str, input: Any, product: Tensor, beta: float, alpha: float) -> Tensor:
    """beta * input + alpha * product; beta = 0 ignores input (NaN included), as PyTorch."""
    input = to_tensor(input)
    _same_dtype(op, input, product)
    _broadcast_like(product, input)
    if alpha != 1:
        product = mul(product, alpha)
    if beta == 0:
        return IgnoreInput.apply(product, input) if input.requires_grad else product
    return add(product, input if beta == 1 else mul(input, beta))


def _broadcast_like(product: Tensor, input: Any) -> Tensor:
    """`product`, checked to be a shape `input` broadcasts to (beta = 0 still checks shapes)."""
    shape = to_tensor(input).shape
    if len(shape) > product.ndim or any(s not in (1, p) for s, p in
                                        zip(reversed(shape), reversed(product.shape), strict=False)):
        raise RuntimeError(f"The expanded size of input {list(shape)} must match the product's "
                           f"{list(product.shape)}")
    return product


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape."""
    return _scaled_sum("addmm", input, mm(mat1, mat2), beta, alpha)


def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2), input broadcast to the product's shape."""
    return _scaled_sum("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addmv(input: Any, mat: Any, vec: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """beta * input + alpha * (mat @ vec)."""
    return _scaled_sum("addmv", input, mv(mat, vec), beta, alpha)


def cdist(x1: Any, x2: Any, p: float = 2.0, compute_mode: str | None = None) -> Tensor:
    """Pairwise p-norm distances between the rows of x1 (.., P, M) and x2 (.., R, M): (.., P, R).
    Computed from the differences (PyTorch switches to a matrix-product form for p = 2 and
    more than 25 rows, whose rounding differs); a zero distance gets gradient 0."""
    a, b = to_tensor(x1), to_tensor(x2)
    if a.ndim < 2 or b.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {a.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} "
                           f"X2: {b.shape[-1]}")
    if a.dtype.kind != "f" or b.dtype.kind != "f":
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {a.dtype}")
    _same_dtype("cdist", a, b)
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    return norm(sub(unsqueeze(a, -2), unsqueeze(b, -3)), p, dim=-1)
