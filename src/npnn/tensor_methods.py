"""More of `torch.Tensor`'s methods, mixed into Tensor: views and layout facts, running
totals, triangles, selections, products, elementwise math, random fills and hooks.

Each calls its op function in `npnn.ops` through `self._ops`, which Tensor answers with the
module it imports at the bottom of `_tensor.py` (the core's one upward import), so this
module imports nothing above the tensor layer. In-place ones go through `_update_` (recorded
in the graph and counted in the version counter, as `add_`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from npnn.autograd import hooks
from npnn.autograd.grad_mode import is_grad_enabled


class TensorOpMethods:
    """Mixed into Tensor, its one subclass."""

    array: Any
    grad_fn: Any
    requires_grad: bool
    shape: tuple[int, ...]
    ndim: int
    dtype: np.dtype
    _ops: Any
    _update_: Callable[..., Any]
    _bump_version: Callable[[], None]
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
        array = self.array
        return int(array.ctypes.data) if isinstance(array, np.ndarray) else int(array.data.ptr)

    # ----- shapes taken from another tensor, and views -----
    def expand_as(self, other: Any) -> Any:
        return self._ops.expand(self, *other.shape)

    def view_as(self, other: Any) -> Any:
        return self._ops.reshape(self, *other.shape)

    def reshape_as(self, other: Any) -> Any:
        return self._ops.reshape(self, *other.shape)

    def broadcast_to(self, size: Any) -> Any:
        return self._ops.broadcast_to(self, size)

    def movedim(self, source: Any, destination: Any) -> Any:
        return self._ops.movedim(self, source, destination)

    moveaxis = movedim

    def swapaxes(self, axis0: int, axis1: int) -> Any:
        return self._ops.transpose(self, axis0, axis1)

    swapdims = swapaxes

    def narrow(self, dim: int, start: int, length: int) -> Any:
        return self._ops.narrow(self, dim, start, length)

    def unflatten(self, dim: int, sizes: Any) -> Any:
        return self._ops.unflatten(self, dim, sizes)

    def tensor_split(self, indices_or_sections: Any, dim: int = 0) -> Any:
        return self._ops.tensor_split(self, indices_or_sections, dim)

    def flip(self, *dims: Any) -> Any:
        return self._ops.flip(self, dims[0] if len(dims) == 1 else dims)

    def roll(self, shifts: Any, dims: Any = None) -> Any:
        return self._ops.roll(self, shifts, dims)

    def tile(self, *dims: Any) -> Any:
        one = len(dims) == 1 and not isinstance(dims[0], int)
        return self._ops.tile(self, dims[0] if one else dims)

    def repeat_interleave(self, repeats: Any, dim: int | None = None, *,
                          output_size: int | None = None) -> Any:
        return self._ops.repeat_interleave(self, repeats, dim, output_size=output_size)

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
            before._version_box = self._shared_version_box()  # type: ignore[attr-defined]
        result = reshape(before)
        if result is before:
            return self
        self.array = result.array
        self._bump_version()
        if result.grad_fn is not None:
            self.grad_fn = result.grad_fn
            result.grad_fn.adopt_output(self)
        return self

    # ----- running totals, triangles, diagonals -----
    def cumsum(self, dim: int, *, dtype: Any = None) -> Any:
        return self._ops.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim: int, *, dtype: Any = None) -> Any:
        return self._ops.cumprod(self, dim, dtype=dtype)

    def cummax(self, dim: int) -> Any:
        return self._ops.cummax(self, dim)

    def cummin(self, dim: int) -> Any:
        return self._ops.cummin(self, dim)

    def diff(self, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Any:
        return self._ops.diff(self, n, dim, prepend, append)

    def tril(self, diagonal: int = 0) -> Any:
        return self._ops.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Any:
        return self._ops.triu(self, diagonal)

    def diag(self, diagonal: int = 0) -> Any:
        return self._ops.diag(self, diagonal)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:
        return self._ops.diagonal(self, offset, dim1, dim2)

    # ----- reductions -----
    def logsumexp(self, dim: Any, keepdim: bool = False) -> Any:
        return self._ops.logsumexp(self, dim, keepdim)

    def prod(self, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
        return self._ops.prod(self, dim, keepdim, dtype=dtype)

    def nansum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
        return self._ops.nansum(self, dim, keepdim, dtype=dtype)

    def median(self, dim: int | None = None, keepdim: bool = False) -> Any:
        return self._ops.median(self, dim, keepdim)

    def count_nonzero(self, dim: Any = None) -> Any:
        return self._ops.count_nonzero(self, dim)

    # ----- selection by index -----
    def index_select(self, dim: int, index: Any) -> Any:
        return self._ops.index_select(self, dim, index)

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Any:
        return self._ops.take_along_dim(self, indices, dim)

    def scatter_add(self, dim: int, index: Any, src: Any) -> Any:
        return self._ops.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Any:
        return self._update_("assign", self._ops.scatter_add(self, dim, index, src))

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        return self._ops.nonzero(self, as_tuple=as_tuple)

    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
        return self._ops.argsort(self, dim, descending, stable=stable)

    def unique(self, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
               dim: int | None = None) -> Any:
        return self._ops.unique(self, sorted, return_inverse, return_counts, dim)

    # ----- products -----
    def mm(self, mat2: Any) -> Any:
        return self._ops.mm(self, mat2)

    def bmm(self, mat2: Any) -> Any:
        return self._ops.bmm(self, mat2)

    def mv(self, vec: Any) -> Any:
        return self._ops.mv(self, vec)

    def dot(self, other: Any) -> Any:
        return self._ops.dot(self, other)

    def outer(self, vec2: Any) -> Any:
        return self._ops.outer(self, vec2)

    ger = outer

    def addmm(self, mat1: Any, mat2: Any, *, beta: float = 1, alpha: float = 1) -> Any:
        return self._ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1: Any, batch2: Any, *, beta: float = 1, alpha: float = 1) -> Any:
        return self._ops.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    # ----- elementwise -----
    def sign(self) -> Any:
        return self._ops.sign(self)

    sgn = sign

    def trunc(self) -> Any:
        return self._ops.trunc(self)

    fix = trunc

    def frac(self) -> Any:
        return self._ops.frac(self)

    def fmod(self, other: Any) -> Any:
        return self._ops.fmod(self, other)

    def remainder(self, other: Any) -> Any:
        return self._ops.remainder(self, other)

    def floor_divide(self, other: Any) -> Any:
        return self._ops.floor_divide(self, other)

    def true_divide(self, other: Any) -> Any:
        return self._ops.div(self, other)

    def lerp(self, end: Any, weight: Any) -> Any:
        return self._ops.lerp(self, end, weight)

    def erf(self) -> Any:
        return self._ops.erf(self)

    def erfc(self) -> Any:
        return self._ops.erfc(self)

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Any:
        return self._ops.isclose(self, other, rtol, atol, equal_nan)

    def logical_and(self, other: Any) -> Any:
        return self._ops.logical_and(self, other)

    def logical_or(self, other: Any) -> Any:
        return self._ops.logical_or(self, other)

    def logical_xor(self, other: Any) -> Any:
        return self._ops.logical_xor(self, other)

    def logical_not(self) -> Any:
        return self._ops.logical_not(self)

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

    def bernoulli(self, p: float | None = None, *, generator: Any = None) -> Any:
        return self._ops.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator: Any = None) -> Any:
        return self._ops.multinomial(self, num_samples, replacement, generator=generator)

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


