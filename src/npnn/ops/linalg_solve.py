"""Inverse, solve, determinants and matrix powers of batched (..., n, n) matrices, with
torch.linalg's errors: a singular matrix raises LinAlgError (a RuntimeError) naming the zero
pivot and, in a batch, the first failing element, as LAPACK's LU does for torch."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from npnn import backend
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.selection import where


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a matrix is singular or not positive-definite."""


class SlogdetResult(NamedTuple):
    sign: Tensor
    logabsdet: Tensor


def _mT(a: Any) -> Any:
    return a.swapaxes(-1, -2)


def check_matrix(A: Tensor, op: str) -> None:
    """torch's checks and texts: at least 2 dims, a float dtype."""
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if A.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. "
                           f"Got {torch_name(A.dtype)}")


def check_square(A: Tensor, op: str) -> None:
    if A.ndim >= 2 and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    check_matrix(A, op)


def _zero_pivot(a: np.ndarray) -> int:
    """The 1-based index of LU's first zero pivot (partial pivoting) of one square matrix."""
    a = np.array(a, dtype=np.float64)
    for k in range(a.shape[0]):
        p = k + int(np.argmax(np.abs(a[k:, k])))
        if a[p, k] == 0:
            return k + 1
        a[[k, p]] = a[[p, k]]
        a[k + 1:] -= np.outer(a[k + 1:, k] / a[k, k], a[k])
    return a.shape[0]


def batch_error(a: Any, op: str, fails: Any, message: Any) -> LinAlgError:
    """The LinAlgError of the first matrix in `a` that `fails`, worded as torch's."""
    mats = backend.to_numpy(a).reshape((-1, *a.shape[-2:]))
    index = next(i for i, m in enumerate(mats) if fails(m))
    where = f"(Batch element {index}): " if a.ndim > 2 else ""
    return LinAlgError(f"{op}: {where}{message(mats[index])}")


def _singular(m: np.ndarray) -> bool:
    try:
        np.linalg.inv(m)
    except np.linalg.LinAlgError:
        return True
    return False


def _inverse(a: Any, op: str) -> Any:
    xp = backend.get_array_module(a)
    try:
        return xp.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise batch_error(a, op, _singular, lambda m: (
            f"The diagonal element {_zero_pivot(m)} is zero, the inversion could not be completed "
            "because the input matrix is singular.")) from None


class Inverse(Function):
    def forward(self, a):
        self.inv = _inverse(a, "linalg.inv")
        return self.inv

    def backward(self, grad_output):
        inv_t = _mT(self.inv)
        return -(inv_t @ grad_output @ inv_t)


class Solve(Function):
    def forward(self, a, b):
        xp = backend.get_array_module(a)
        try:
            self.a, self.x = a, xp.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.") \
                from None
        return self.x

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        grad_b = xp.linalg.solve(_mT(self.a), grad_output)
        return -(grad_b @ _mT(self.x)), grad_b


class LogAbsDet(Function):
    """log|det A|; its gradient A^-T (0 rows where A is singular would be inf, as torch's)."""

    def forward(self, a):
        xp = backend.get_array_module(a)
        self.a = a
        return xp.linalg.slogdet(a)[1]

    def backward(self, grad_output):
        return grad_output[..., None, None] * _mT(_inverse(self.a, "linalg.slogdet"))


class Det(Function):
    def forward(self, a):
        xp = backend.get_array_module(a)
        self.a, self.det = a, xp.linalg.det(a)
        return self.det

    def backward(self, grad_output):
        return grad_output[..., None, None] * _cofactors(self.a, self.det)


def _cofactors(a: Any, det: Any) -> Any:
    """d det(A) / dA = det(A) A^-T; 0 where A is exactly singular, as torch 2.13 gives (not the
    cofactor matrix, which is nonzero for rank n - 1)."""
    xp = backend.get_array_module(a)
    try:
        return det[..., None, None] * _mT(xp.linalg.inv(a))
    except np.linalg.LinAlgError:
        pass
    flat = a.reshape((-1, *a.shape[-2:]))
    grads = xp.stack([_cofactors(m, d) for m, d in zip(flat, det.reshape(-1), strict=True)]) \
        if a.ndim > 2 else xp.zeros_like(a)
    return grads.reshape(a.shape)


def inv(A: Any) -> Tensor:
    """torch.linalg.inv of a (..., n, n) matrix; a singular one raises LinAlgError."""
    A = to_tensor(A)
    check_square(A, "linalg.inv")
    return Inverse.apply(A)


def _is_vector_rhs(A: Tensor, B: Tensor) -> bool:
    """torch's rule: B is a (batch of) vector(s) when 1-D or one dim short of A with A's batch."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def solve(A: Any, B: Any, *, left: bool = True) -> Tensor:
    """torch.linalg.solve: X with A X = B (left=True) or X A = B (left=False); B a vector or matrix."""
    A, B = to_tensor(A), to_tensor(B)
    check_square(A, "linalg.solve")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{torch_name(A.dtype)} and B of type {torch_name(B.dtype)} instead")
    if not left:
        return solve(A.mT, B.mT).mT
    vector = _is_vector_rhs(A, B)
    b = B.unsqueeze(-1) if vector else B
    if b.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({A.shape[-2]}x{A.shape[-1]} and {b.shape[-2]}x{b.shape[-1]})")
    batch = np.broadcast_shapes(tuple(A.shape[:-2]), tuple(b.shape[:-2]))
    a = A.expand(*batch, *A.shape[-2:])
    b = b.expand(*batch, *b.shape[-2:])
    x = Solve.apply(a, b)
    return x.squeeze(-1) if vector else x


_TORCH_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def torch_name(dtype: Any) -> str:
    """torch's C++ name of a dtype (Float, Long, ...) as its error messages spell it."""
    return _TORCH_NAMES.get(str(dtype).replace("npnn.", ""), str(dtype))


def slogdet(A: Any) -> SlogdetResult:
    """torch.linalg.slogdet: (sign, logabsdet); only logabsdet carries a gradient."""
    A = to_tensor(A)
    check_square(A, "linalg.slogdet")
    xp = backend.get_array_module(A.array)
    sign = Tensor(xp.linalg.slogdet(A.array)[0])
    return SlogdetResult(sign, LogAbsDet.apply(A))


def det(A: Any) -> Tensor:
    """torch.linalg.det of (..., n, n) matrices."""
    A = to_tensor(A)
    check_square(A, "linalg.det")
    return Det.apply(A)


def logdet(A: Any) -> Tensor:
    """torch.logdet: log det A; nan where det A < 0, -inf where it is 0, as torch's."""
    A = to_tensor(A)
    check_square(A, "logdet")
    sign, logabs = slogdet(A)
    xp = backend.get_array_module(sign.array)
    return logabs + Tensor(xp.where(sign.array < 0, xp.nan, 0.0).astype(sign.array.dtype))


def matrix_power(A: Any, n: int) -> Tensor:
    """torch.linalg.matrix_power: A^n by repeated squaring; n < 0 inverts first, n = 0 is I."""
    A = to_tensor(A)
    check_square(A, "linalg.matrix_power")
    if n < 0:
        A, n = inv(A), -n
    if n == 0:  # I, still in the graph (with gradient 0) where A needs one, as torch's
        xp = backend.get_array_module(A.array)
        eye = Tensor(xp.eye(A.shape[-1], dtype=A.array.dtype))
        return where(Tensor(xp.zeros(A.shape, dtype=bool)), A, eye)
    result = None
    while n:
        if n & 1:
            result = A if result is None else result @ A
        n >>= 1
        if n:
            A = A @ A
    return result
