"""Tensor methods of the linalg ops torch puts on Tensor (x.inverse(), x.det(), ...); as in
tensor_methods.py, each reaches its op in `npnn.ops` through `self._ops`."""

from __future__ import annotations

from typing import Any


class TensorLinalgMethods:
    """Mixed into Tensor, its one subclass."""

    _ops: Any

    def inverse(self) -> Any:
        return self._ops.inverse(self)

    def det(self) -> Any:
        return self._ops.det(self)

    def logdet(self) -> Any:
        return self._ops.logdet(self)

    def matrix_power(self, n: int) -> Any:
        return self._ops.matrix_power(self, n)

    def pinverse(self, rcond: float = 1e-15) -> Any:
        return self._ops.pinverse(self, rcond)

    def cholesky(self, upper: bool = False) -> Any:
        return self._ops.cholesky(self, upper)

    def svd(self, some: bool = True, compute_uv: bool = True) -> Any:
        return self._ops.svd(self, some, compute_uv)

    def qr(self, some: bool = True) -> Any:
        return self._ops.qr(self, some)
