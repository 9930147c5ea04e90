"""PyTorch's legacy tensor types (npnn.FloatTensor, LongTensor, ...), is_floating_point and
randint_like.

`npnn.FloatTensor(2, 3)` (or a Size) makes a tensor of that shape, uninitialized in PyTorch and
zero-filled here; `npnn.FloatTensor([1, 2])` converts data. `isinstance(x, npnn.FloatTensor)`
is True for a float32 tensor, as in PyTorch. They are not subclasses of Tensor: every npnn
tensor is a Tensor.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import random
from npnn._tensor import Tensor
from npnn.size import Size


class _LegacyTensorType(type):
    """The metaclass of the legacy types: calling one makes a Tensor of its dtype."""

    legacy_dtype: np.dtype

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.legacy_dtype

    def __repr__(cls) -> str:
        return f"<class 'npnn.{cls.__name__}'>"

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:  # type: ignore[override]
        if not args:
            shape: Any = (0,)
        elif all(type(a) is int for a in args) or (len(args) == 1 and isinstance(args[0], Size)):
            shape = tuple(args[0]) if isinstance(args[0], Size) else args
        else:
            shape = None
        if shape is not None:
            tensor = Tensor(np.zeros(shape, dtype=cls.legacy_dtype))
        else:
            (data,) = args
            if isinstance(data, Tensor):
                if data.dtype != cls.legacy_dtype:
                    raise TypeError(f"expected {cls.legacy_dtype} (got {data.dtype}): convert it "
                                    f"with .to({cls.legacy_dtype})")
                return data
            if isinstance(data, (float, bool)):
                raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
            tensor = Tensor(np.asarray(data).astype(cls.legacy_dtype))
        return tensor if device is None else tensor.to(device)


def _legacy(name: str, dtype: Any) -> type:
    return _LegacyTensorType(name, (), {"legacy_dtype": np.dtype(dtype), "__doc__": f"{dtype} tensors"})


FloatTensor = _legacy("FloatTensor", np.float32)
DoubleTensor = _legacy("DoubleTensor", np.float64)
HalfTensor = _legacy("HalfTensor", np.float16)
LongTensor = _legacy("LongTensor", np.int64)
IntTensor = _legacy("IntTensor", np.int32)
ShortTensor = _legacy("ShortTensor", np.int16)
CharTensor = _legacy("CharTensor", np.int8)
ByteTensor = _legacy("ByteTensor", np.uint8)
BoolTensor = _legacy("BoolTensor", np.bool_)


def is_floating_point(input: Tensor) -> bool:
    """Whether `input` has a floating dtype."""
    return input.is_floating_point()


def is_complex(input: Tensor) -> bool:
    """False: npnn has no complex tensors."""
    return input.is_complex()


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, dtype: Any = None,
                 requires_grad: bool = False, generator: random.Generator | None = None,
                 device: Any = None) -> Tensor:
    """Integers in [low, high) of `input`'s shape and (unless `dtype`) dtype, as
    torch.randint_like(input, high) or (input, low, high)."""
    if high is None:
        low, high = 0, low
    values = random.resolve(generator).integers(low, high, size=tuple(input.shape))
    tensor = Tensor(values.astype(dtype or input.dtype), requires_grad=requires_grad)
    return tensor.to(input.device if device is None else device)
