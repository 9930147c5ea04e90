"""Turning a list of samples into a batch with `torch.utils.data`'s rules.

`default_collate`: Tensors are stacked; NumPy arrays and scalars become stacked Tensors; Python
ints become an int64 Tensor (bools a bool Tensor), floats a float64 Tensor; strings and bytes
stay a list; dicts are collated per key, namedtuples per field, and tuples/lists are transposed
and collated per position (a tuple sample gives a list, as in torch).
`default_convert` (used when batching is off) only turns NumPy arrays into Tensors.
"""

from __future__ import annotations

import collections.abc
import copy
import re
from typing import Any

import numpy as np

from npnn._tensor import Tensor
from npnn.backend import float64
from npnn.creation import as_tensor, tensor
from npnn.ops import stack

_STRING_OR_OBJECT = re.compile(r"[SaUO]")
_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_numpy(value: Any) -> bool:
    """A NumPy array or scalar other than a string scalar."""
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ not in ("str_", "bytes_")


def default_convert(data: Any) -> Any:
    """Each NumPy array (or scalar) inside `data` as a Tensor; everything else unchanged."""
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        if isinstance(data, np.ndarray) and _STRING_OR_OBJECT.search(data.dtype.str):
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def default_collate(batch: list[Any]) -> Any:
    """Collate a list of samples into a batch (rules in the module docstring)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if _is_numpy(elem):
        if isinstance(elem, np.ndarray):
            if _STRING_OR_OBJECT.search(elem.dtype.str):
                raise TypeError(_ERROR.format(elem.dtype))
            return default_collate([as_tensor(b) for b in batch])
        return as_tensor(np.asarray(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, int):  # bool is an int: a list of bools gives a bool Tensor
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(samples)) for samples in zip(*batch, strict=False)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        collated = [default_collate(list(samples)) for samples in zip(*batch, strict=True)]
        return collated if isinstance(elem, tuple) else _rebuild_sequence(elem, collated)
    raise TypeError(_ERROR.format(type(elem)))


def _rebuild_mapping(like: collections.abc.Mapping[Any, Any], values: dict[Any, Any]) -> Any:
    """`values` in the mapping type of `like` where it can be rebuilt, else a dict."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(values)
            return clone
        return type(like)(values)  # type: ignore[call-arg]
    except TypeError:
        return values


def _rebuild_sequence(like: collections.abc.Sequence[Any], values: list[Any]) -> Any:
    """`values` in the sequence type of `like` where it can be rebuilt, else a list."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, value in enumerate(values):
                clone[i] = value
            return clone
        return type(like)(values)  # type: ignore[call-arg]
    except TypeError:
        return values
