"""Tensor conversions (NumPy, text, dtype, device) and in-place helpers that bypass the graph."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn.autograd.grad_mode import is_grad_enabled


class TensorConversions:
    """Mixed into Tensor: `.to()`, `.float()`, `.clone()`, `zero_()`, `x[i] = v`, ..."""

    data: Any
    grad_fn: Any
    requires_grad: bool

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shared memory on CPU; a copy from the GPU)."""
        return backend.to_numpy(self.data)

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        array = self.numpy()
        return array if dtype is None else array.astype(dtype, copy=False)

    def __repr__(self) -> str:
        body = np.array2string(self.numpy(), separator=", ", precision=4, prefix="tensor(")
        extras = []
        if self.dtype not in (backend.get_default_dtype(), np.dtype(np.int64), np.dtype(np.bool_)):
            extras.append(f"dtype={self.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}Backward>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    # ----- conversions -----
    def to(self, target: Any) -> Any:
        """Convert to a dtype (differentiable) or move to a device ('cpu' / 'cuda')."""
        if isinstance(target, str) and target in ("cpu", "cuda", "gpu"):
            from npnn.ops.elementwise import to_device

            return to_device(self, target)
        from npnn.ops.elementwise import cast

        return cast(self, np.dtype(target))

    def cpu(self) -> Any:
        return self.to("cpu")

    def cuda(self) -> Any:
        return self.to("cuda")

    def float(self) -> Any:
        return self.to(np.float32)

    def double(self) -> Any:
        return self.to(np.float64)

    def long(self) -> Any:
        return self.to(np.int64)

    def int(self) -> Any:
        return self.to(np.int32)

    def bool(self) -> Any:
        return self.to(np.bool_)

    def type(self, dtype: Any) -> Any:
        return self.to(dtype)

    def clone(self) -> Any:
        from npnn.ops.elementwise import clone

        return clone(self)

    # ----- in-place helpers (no autograd; for init and manual updates) -----
    def _check_inplace(self) -> None:
        if is_grad_enabled() and (self.requires_grad or self.grad_fn is not None):
            raise RuntimeError(
                "in-place change of a tensor that requires grad is not supported while grad is "
                "enabled; wrap it in `with npnn.no_grad():`"
            )

    def zero_(self) -> Any:
        self._check_inplace()
        self.data[...] = 0
        return self

    def fill_(self, value: float) -> Any:
        self._check_inplace()
        self.data[...] = value
        return self

    def copy_(self, source: Any) -> Any:
        self._check_inplace()
        source = source.data if hasattr(source, "grad_fn") else source
        self.data[...] = source
        return self

    def add_(self, other: Any, alpha: float = 1.0) -> Any:
        self._check_inplace()
        other = other.data if hasattr(other, "grad_fn") else other
        self.data += alpha * other if alpha != 1.0 else other
        return self

    def mul_(self, other: Any) -> Any:
        self._check_inplace()
        self.data *= other.data if hasattr(other, "grad_fn") else other
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace()
        index = unwrap_index(index)
        self.data[index] = value.data if hasattr(value, "grad_fn") else value


def unwrap_index(index: Any) -> Any:
    """Replace Tensors inside an index by their arrays."""
    if hasattr(index, "grad_fn"):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if hasattr(i, "grad_fn") else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index
