"""Dtype rules (PyTorch's, see each function): arrays from Python and NumPy data, the dtype of a
Python scalar next to tensors, and the promotion of an op's inputs to one dtype.

Everything here works on arrays and dtypes, below Tensor and autograd, which both use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from npnn import backend


def to_array(data: Any, dtype: Any = None) -> Any:
    """Convert data (not a Tensor: the caller unwraps it) to an array with torch.tensor's rules.

    Arrays keep their dtype (float64 stays float64); Python floats and float lists
    become the default dtype (float32); Python ints become int64; bools stay bool.
    """
    xp = backend.get_array_module(data)
    if dtype is not None:
        return xp.asarray(data, dtype=np.dtype(dtype))
    if isinstance(data, (np.ndarray, np.generic)) or xp is not np:
        return xp.asarray(data)
    array = np.asarray(data)
    if array.dtype.kind == "f":
        return array.astype(backend.get_default_dtype(), copy=False)
    if array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    if array.dtype.kind == "b":
        return array
    raise TypeError(f"cannot make a tensor from {type(data).__name__} with dtype {array.dtype}")


def scalar_dtype(value: bool | int | float, dtypes: Sequence[np.dtype]) -> np.dtype:
    """A Python scalar never upcasts a tensor (as in PyTorch): float32 * 0.5 stays float32.

    `dtypes` are those of the tensors the scalar meets in the op.
    """
    floats = [d for d in dtypes if d.kind == "f"]
    if floats:
        return floats[0]
    if isinstance(value, float):
        return backend.get_default_dtype()
    if dtypes and not isinstance(value, bool):
        return dtypes[0] if dtypes[0].kind in "iu" else np.dtype(np.int64)
    return np.dtype(np.bool_) if isinstance(value, bool) else np.dtype(np.int64)


def promote(arrays: list[Any]) -> list[Any]:
    """Bring an op's input arrays to one dtype with PyTorch's promotion rule.

    Within a category (bool < integer < float < complex) a 0-d input never raises the
    dtype of a dimensioned one: float32 (3,) * float64 () stays float32, int32 + int64 ()
    stays int32; a 0-d input of a higher category wins (int64 (3,) * float32 () is float32).
    Boolean inputs (masks, `where` conditions) are left as they are. The engine casts each
    input's gradient back to that input's dtype.
    """
    first = arrays[0].dtype
    for a in arrays:
        if a.dtype != first:
            break
    else:  # the hot path: one dtype, nothing to do
        return arrays
    target = result_dtype(arrays)
    return [a if a.dtype == target or a.dtype.kind == "b" else a.astype(target) for a in arrays]


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def result_dtype(arrays: Sequence[Any]) -> np.dtype:
    """The dtype PyTorch gives an op on `arrays` (dimensioned ones first, then 0-d)."""
    dimensioned = _promote_types([a.dtype for a in arrays if a.ndim])
    zero_dim = _promote_types([a.dtype for a in arrays if not a.ndim])
    if dimensioned is None or (zero_dim is not None
                               and _CATEGORY[zero_dim.kind] > _CATEGORY[dimensioned.kind]):
        return zero_dim  # type: ignore[return-value]
    return dimensioned


def _promote_types(dtypes: list[np.dtype]) -> np.dtype | None:
    """NumPy's promotion within the highest category only: int64 with float32 gives float32."""
    if not dtypes:
        return None
    top = max(_CATEGORY[d.kind] for d in dtypes)
    return np.result_type(*[d for d in dtypes if _CATEGORY[d.kind] == top])


class finfo:
    """Facts of a float dtype (bits, eps, max, min, tiny, smallest_normal, resolution), the
    default dtype by default; as PyTorch's, the values are Python floats (json.dumps takes
    them) and `dtype` is the dtype's name."""

    def __init__(self, dtype: Any = None) -> None:
        info = np.finfo(backend.get_default_dtype() if dtype is None else np.dtype(dtype))
        self.bits, self.dtype = int(info.bits), str(info.dtype)
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(self.dtype)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


def iinfo(dtype: Any) -> np.iinfo:
    """Facts of an integer dtype (bits, max, min): NumPy's `iinfo`."""
    return np.iinfo(np.dtype(dtype))


_TORCH_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char", "int16": "Short",
                "int32": "Int", "int64": "Long", "uint8": "Byte", "bool": "Bool"}


def torch_name(dtype: Any) -> str:
    """PyTorch's scalar-type name of a dtype ('Float', 'Long'), as its error messages print it."""
    return _TORCH_NAMES.get(str(np.dtype(dtype)), str(dtype))
