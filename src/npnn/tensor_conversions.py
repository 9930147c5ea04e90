"""Tensor methods that work on the data itself rather than build a graph.

Conversions (NumPy, Python values, text, dtype, device), comparisons, and the names of the
in-place updates, which `npnn.ops.inplace` carries out (recording them in the graph).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from npnn import backend

_ARRAY_LIKE = (int, float, complex, bool, np.ndarray, np.generic, list, tuple)


class TensorDataMethods:
    """Mixed into Tensor, its one subclass (so `isinstance(x, TensorDataMethods)` here means "x
    is a Tensor"): conversions (`.numpy()`, `.item()`, `.float()`)
    and in-place updates (`zero_()`, `add_()`, `x += v`, `x[i] = v`)."""

    array: Any
    grad_fn: Any
    requires_grad: bool
    shape: tuple[int, ...]
    dtype: np.dtype
    device: str
    __getitem__: Callable[[Any, Any], Any]
    _update_: Callable[..., Any]

    # ----- to NumPy, Python values and text -----
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shared memory on CPU; a copy from the GPU)."""
        return backend.to_numpy(self.array)

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        array = self.numpy()
        return array if dtype is None else array.astype(dtype, copy=False)

    def item(self) -> Any:
        if self.array.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.array.reshape(()).item()

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.array.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.array.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iu":
            raise TypeError("only integer tensors can be used as an index")
        return int(self.item())

    def __repr__(self) -> str:
        array = self.numpy()
        extras = []
        if array.size == 0 and array.ndim != 1:
            extras.append(f"size={array.shape}")
        if self.dtype not in (backend.get_default_dtype(), np.dtype(np.int64), np.dtype(np.bool_)):
            extras.append(f"dtype={self.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}Backward>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([_array_text(array), *extras]) + ")"

    def __format__(self, format_spec: str) -> str:
        """A 0-d tensor formats as its Python number (`f"{loss:>7f}"`), as in PyTorch."""
        if self.array.ndim == 0:
            return format(self.item(), format_spec)
        if format_spec:
            raise TypeError(f"unsupported format string {format_spec!r} passed to Tensor.__format__: "
                            f"only a 0-d tensor formats as a number (this one has shape {self.shape})")
        return str(self)

    # ----- comparisons and logic: boolean tensors without a graph -----
    def _compare(self, other: Any, compare: Callable[[Any, Any], Any]) -> Any:
        if isinstance(other, TensorDataMethods):
            other = other.array
        elif not isinstance(other, _ARRAY_LIKE) and not hasattr(other, "__cuda_array_interface__"):
            return NotImplemented  # e.g. pytest.approx, None, a string: their own __eq__ decides
        return type(self)._from_op(compare(self.array, other), None)  # type: ignore[attr-defined]

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, operator.eq)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, operator.ne)

    def __lt__(self, other: Any) -> Any:
        return self._compare(other, operator.lt)

    def __le__(self, other: Any) -> Any:
        return self._compare(other, operator.le)

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, operator.gt)

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, operator.ge)

    def __and__(self, other: Any) -> Any:
        return self._compare(other, operator.and_)

    def __or__(self, other: Any) -> Any:
        return self._compare(other, operator.or_)

    eq = __eq__
    ne = __ne__

    def __invert__(self) -> Any:
        return type(self)._from_op(~self.array, None)  # type: ignore[attr-defined]

    def any(self) -> Any:
        return type(self)._from_op(self.array.any(), None)  # type: ignore[attr-defined]

    def all(self) -> Any:
        return type(self)._from_op(self.array.all(), None)  # type: ignore[attr-defined]

    # ----- dtype and device (`to` and `clone` are on Tensor: they are ops) -----
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

    def type_as(self, other: Any) -> Any:
        """Convert to `other`'s dtype."""
        return self.to(other.dtype)

    # ----- in-place updates: npnn.ops.inplace records them in the graph as PyTorch does -----
    def zero_(self) -> Any:
        return self._update_("assign", 0)

    def fill_(self, value: Any) -> Any:
        return self._update_("assign", value)

    def copy_(self, source: Any) -> Any:
        return self._update_("assign", source)

    def add_(self, other: Any, alpha: float = 1.0) -> Any:
        return self._update_("add", other if alpha == 1.0 else other * alpha)

    def sub_(self, other: Any, alpha: float = 1.0) -> Any:
        return self._update_("sub", other if alpha == 1.0 else other * alpha)

    def mul_(self, other: Any) -> Any:
        return self._update_("mul", other)

    def div_(self, other: Any) -> Any:
        return self._update_("div", other)

    def relu_(self) -> Any:
        return self._update_("assign", self.relu())

    def clamp_(self, min: Any = None, max: Any = None) -> Any:
        return self._update_("assign", self.clamp(min, max))

    clip_ = clamp_

    def sigmoid_(self) -> Any:
        return self._update_("assign", self.sigmoid())

    def tanh_(self) -> Any:
        return self._update_("assign", self.tanh())

    def __iadd__(self, other: Any) -> Any:
        return self._update_("add", other)

    def __isub__(self, other: Any) -> Any:
        return self._update_("sub", other)

    def __imul__(self, other: Any) -> Any:
        return self._update_("mul", other)

    def __itruediv__(self, other: Any) -> Any:
        return self._update_("div", other)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._update_("assign", value, unwrap_index(index))


# torch.set_printoptions' settings, read by every repr
_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, np.inf, 3, 80)}
_print_options: dict[str, Any] = dict(zip(("precision", "threshold", "edgeitems", "linewidth"),
                                          _PROFILES["default"], strict=True), sci_mode=None)


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """How tensors print, as torch.set_printoptions: decimals, the element count above which
    only `edgeitems` per edge are shown, the line width, a profile ('default', 'short',
    'full') and sci_mode (True: always scientific; False: never; None: NumPy decides)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"profile must be one of {sorted(_PROFILES)}, got {profile!r}")
        _print_options.update(zip(("precision", "threshold", "edgeitems", "linewidth"),
                                  _PROFILES[profile], strict=True))
    for key, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                       ("linewidth", linewidth)):
        if value is not None:
            _print_options[key] = value
    _print_options["sci_mode"] = sci_mode


def _array_text(array: np.ndarray) -> str:
    """The values as PyTorch prints them: 4 decimals (scientific where NumPy and PyTorch both
    switch), integer-valued floats as `1.`, booleans as wide as the widest (`[True, True]`, where
    NumPy pads to `[ True,  True]`), 80 columns (or as set_printoptions says)."""
    options = _print_options
    mode = "fixed"
    formatter = None
    if array.dtype.kind == "f":
        finite = array[np.isfinite(array)]
        if finite.size == 0 or bool(np.all(finite == np.round(finite))):
            mode = "maxprec"
        if options["sci_mode"]:
            formatter = {"float_kind": lambda v: np.format_float_scientific(
                v, precision=options["precision"], unique=False, exp_digits=2)}
    if array.dtype.kind == "b":
        width = 4 if bool(array.all()) else 5
        formatter = {"bool": lambda value: str(value).rjust(width)}
    return np.array2string(array, separator=", ", precision=options["precision"], floatmode=mode,
                           prefix="tensor(", max_line_width=options["linewidth"],
                           threshold=options["threshold"], edgeitems=options["edgeitems"],
                           suppress_small=options["sci_mode"] is False, formatter=formatter)


def unwrap_index(index: Any) -> Any:
    """Replace Tensors inside an index by their arrays."""
    if isinstance(index, TensorDataMethods):
        return index.array
    if isinstance(index, tuple):
        return tuple(i.array if isinstance(i, TensorDataMethods) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index
