"""Tensor methods about a tensor's memory, mixed into Tensor: layout facts (strides in
elements, contiguity, sizes, the address), changes in place that are not arithmetic
(squeeze_/unsqueeze_, the random fills normal_/uniform_/bernoulli_) and hooks on its gradient.

The fills draw through `self._ops` (see tensor_methods.py) and write through `_update_`, so
they are recorded in the graph and counted in the version counter as `copy_` is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from npnn.autograd import hooks
from npnn.autograd.grad_mode import is_grad_enabled


class TensorMemoryMethods:
    """Mixed into Tensor, its one subclass."""

    array: Any
    grad_fn: Any
    requires_grad: bool
    _ops: Any
    _update_: Callable[..., Any]
    _bump_version: Callable[[], None]
    _shared_version_box: Callable[[], list[int]]
    _hooks: dict[int, Any] | None = None  # a leaf's hooks (autograd.hooks), made on first use

    # ----- layout facts: PyTorch's strides are in elements, NumPy's in bytes -----
    def is_contiguous(self, memory_format: Any = None) -> bool:
        """Whether the elements lie in row-major order without gaps (a transpose does not)."""
        return bool(self.array.flags.c_contiguous)

    def contiguous(self, memory_format: Any = None) -> Any:
        """Self when row-major already, else a row-major copy that stays in the graph."""
        return self if self.is_contiguous() else self._ops.clone(self)

    def stride(self, dim: int | None = None) -> Any:
        """The step in elements between neighbours along each dim (or along `dim`)."""
        itemsize = self.array.dtype.itemsize
        strides = tuple(s // itemsize for s in self.array.strides)
        return strides if dim is None else strides[dim]

    def element_size(self) -> int:
        return int(self.array.dtype.itemsize)

    @property
    def itemsize(self) -> int:
        return int(self.array.dtype.itemsize)

    @property
    def nbytes(self) -> int:
        return int(self.array.nbytes)

    def data_ptr(self) -> int:
        """The address of the first element (on the GPU, the device address)."""
        if isinstance(self.array, np.generic):  # a NumPy scalar has no fixed address: give it one
            self.array = np.asarray(self.array)
        array = self.array
        return int(array.ctypes.data) if isinstance(array, np.ndarray) else int(array.data.ptr)


    def squeeze_(self, dim: Any = None) -> Any:
        return self._reshape_in_place(lambda old: self._ops.squeeze(old, dim))

    def unsqueeze_(self, dim: int) -> Any:
        return self._reshape_in_place(lambda old: self._ops.unsqueeze(old, dim))

    def _reshape_in_place(self, reshape: Callable[[Any], Any]) -> Any:
        """Take the shape of `reshape(self)` in place (squeeze_, unsqueeze_). In a graph the
        reshape is recorded on a stand-in for this tensor as it was, since the engine reads an
        input's shape from its array."""
        recorded = is_grad_enabled() and self.requires_grad
        if recorded and self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation: reshape it inside `with npnn.no_grad():`")
        before = self
        if recorded:
            before = type(self)._from_op(self.array, self.grad_fn)  # type: ignore[attr-defined]
            before._version_box = self._shared_version_box()
        result = reshape(before)
        if result is before:
            return self
        self.array = result.array
        self._bump_version()
        if result.grad_fn is not None:
            self.grad_fn = result.grad_fn
            result.grad_fn.adopt_output(self)
        return self


    # ----- random draws and fills, from npnn's generator or `generator=` -----
    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Any:
        """Fill with N(mean, std²) draws (DCGAN's `m.weight.data.normal_(0.0, 0.02)`)."""
        return self._update_("assign", self._ops.normal_values(self, mean, std, generator))

    def uniform_(self, low: float = 0.0, high: float = 1.0, *, generator: Any = None,
                 **torch_names: float) -> Any:
        """Fill with U[low, high) draws; PyTorch's keywords `from=` and `to=` are accepted."""
        low, high = torch_names.pop("from", low), torch_names.pop("to", high)
        if torch_names:
            raise TypeError(f"uniform_() got unexpected keyword arguments {sorted(torch_names)}")
        return self._update_("assign", self._ops.uniform_values(self, low, high, generator))

    def bernoulli_(self, p: Any = 0.5, *, generator: Any = None) -> Any:
        return self._update_("assign", self._ops.bernoulli_values(self, p, generator))


    # ----- hooks (npnn.autograd.hooks) -----
    def register_hook(self, hook: Callable[[Any], Any]) -> hooks.RemovableHandle:
        """Call `hook(grad)` with this tensor's gradient in each backward; a tensor it returns
        is used in its place. `handle.remove()` takes the hook off."""
        return hooks.register_hook(self, hook)  # type: ignore[arg-type]

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in `.grad` at the next backward calls."""
        hooks.retain_grad(self)  # type: ignore[arg-type]

    @property
    def retains_grad(self) -> bool:
        return hooks.retains_grad(self)  # type: ignore[arg-type]
