"""`npnn.Size`: the shape tuple that `Tensor.size()` returns, as torch.Size."""

from __future__ import annotations

import math
from typing import Any


class Size(tuple):
    """A tuple of ints that prints as `npnn.Size([64, 1, 28, 28])`; slicing keeps the type.

    Differs from PyTorch: `Tensor.shape` stays a plain tuple (NumPy's); `size()` is a Size.
    """

    __slots__ = ()

    def __new__(cls, sizes: Any = ()) -> Size:
        return super().__new__(cls, (int(s) for s in sizes))

    def __repr__(self) -> str:
        return f"npnn.Size({list(self)})"

    __str__ = __repr__

    def __getitem__(self, index: Any) -> Any:
        item = super().__getitem__(index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other: Any) -> Size:
        return Size(tuple(self) + tuple(other))

    def numel(self) -> int:
        """The number of elements of a tensor of this shape."""
        return math.prod(self)
