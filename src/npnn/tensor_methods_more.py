"""Tensor methods for the ops PyTorch users' code reaches for beyond the everyday ones:
clamp_min/clamp_max, index_add/index_fill/index_copy, masked_select/masked_scatter, counting,
cross/kron/rot90/trace and elementwise extras (nan_to_num, xlogy, hypot, ...), each with its
in-place `_` form where PyTorch has one.

As in tensor_methods.py, each calls its op in `npnn.ops` through `self._ops`, and the in-place
forms write the op's result through `_update_` (so autograd records them as x.copy_(result)).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class TensorMoreMethods:
    """Mixed into Tensor, its one subclass."""

    _ops: Any
    _update_: Callable[..., Any]

    # ----- bounds -----
    def clamp_min(self, min: Any) -> Any:
        return self._ops.clamp_min(self, min)

    def clamp_max(self, max: Any) -> Any:
        return self._ops.clamp_max(self, max)

    def clamp_min_(self, min: Any) -> Any:
        return self._update_("assign", self._ops.clamp_min(self, min))

    def clamp_max_(self, max: Any) -> Any:
        return self._update_("assign", self._ops.clamp_max(self, max))

    # ----- index- and mask-driven copies -----
    def index_add(self, dim: int, index: Any, source: Any, *, alpha: float = 1) -> Any:
        return self._ops.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim: int, index: Any, source: Any, *, alpha: float = 1) -> Any:
        return self._update_("assign", self._ops.index_add(self, dim, index, source, alpha=alpha))

    def index_copy(self, dim: int, index: Any, source: Any) -> Any:
        return self._ops.index_copy(self, dim, index, source)

    def index_copy_(self, dim: int, index: Any, source: Any) -> Any:
        return self._update_("assign", self._ops.index_copy(self, dim, index, source))

    def index_fill(self, dim: int, index: Any, value: Any) -> Any:
        return self._ops.index_fill(self, dim, index, value)

    def index_fill_(self, dim: int, index: Any, value: Any) -> Any:
        return self._update_("assign", self._ops.index_fill(self, dim, index, value))

    def masked_select(self, mask: Any) -> Any:
        return self._ops.masked_select(self, mask)

    def masked_scatter(self, mask: Any, source: Any) -> Any:
        return self._ops.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask: Any, source: Any) -> Any:
        """In place, mask must broadcast to self's shape (as PyTorch)."""
        result = self._ops.masked_scatter(self, mask, source)
        if result.shape != self.shape:
            raise RuntimeError(f"masked_scatter_: mask of shape {tuple(getattr(mask, 'shape', ()))} "
                               f"does not broadcast to self's shape {tuple(self.shape)}")
        return self._update_("assign", result)

    # ----- counting and binning -----
    def bincount(self, weights: Any = None, minlength: int = 0) -> Any:
        return self._ops.bincount(self, weights, minlength)

    def histc(self, bins: int = 100, min: float = 0, max: float = 0) -> Any:
        return self._ops.histc(self, bins, min, max)

    def histogram(self, bins: Any = 100, *, range: Any = None, weight: Any = None,
                  density: bool = False) -> Any:
        return self._ops.histogram(self, bins, range=range, weight=weight, density=density)

    # ----- products and rearrangements -----
    def cross(self, other: Any, dim: int | None = None) -> Any:
        return self._ops.cross(self, other, dim)

    def kron(self, other: Any) -> Any:
        return self._ops.kron(self, other)

    def rot90(self, k: int = 1, dims: Sequence[int] = (0, 1)) -> Any:
        return self._ops.rot90(self, k, dims)

    def flipud(self) -> Any:
        return self._ops.flipud(self)

    def fliplr(self) -> Any:
        return self._ops.fliplr(self)

    def trace(self) -> Any:
        return self._ops.trace(self)

    # ----- elementwise extras -----
    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Any:
        return self._ops.nan_to_num(self, nan, posinf, neginf)

    def nan_to_num_(self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Any:
        return self._update_("assign", self._ops.nan_to_num(self, nan, posinf, neginf))

    def signbit(self) -> Any:
        return self._ops.signbit(self)

    def heaviside(self, values: Any) -> Any:
        return self._ops.heaviside(self, values)

    def heaviside_(self, values: Any) -> Any:
        return self._update_("assign", self._ops.heaviside(self, values))

    def logaddexp(self, other: Any) -> Any:
        return self._ops.logaddexp(self, other)

    def xlogy(self, other: Any) -> Any:
        return self._ops.xlogy(self, other)

    def xlogy_(self, other: Any) -> Any:
        return self._update_("assign", self._ops.xlogy(self, other))

    def hypot(self, other: Any) -> Any:
        return self._ops.hypot(self, other)

    def hypot_(self, other: Any) -> Any:
        return self._update_("assign", self._ops.hypot(self, other))

    def deg2rad(self) -> Any:
        return self._ops.deg2rad(self)

    def deg2rad_(self) -> Any:
        return self._update_("assign", self._ops.deg2rad(self))

    def rad2deg(self) -> Any:
        return self._ops.rad2deg(self)

    def rad2deg_(self) -> Any:
        return self._update_("assign", self._ops.rad2deg(self))
