"""`Parameter`: a leaf tensor that a Module registers and an optimizer updates."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor


class Parameter(Tensor):
    """A Tensor that requires grad by default and is registered when set on a Module."""

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = []
        super().__init__(data.array if isinstance(data, Tensor) else data,
                         requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        """As PyTorch's: a new Parameter with a copy of the values and the same requires_grad,
        without `.grad` (a deep-copied layer, e.g. TransformerEncoder's clones, starts clean)."""
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.array.copy(order="K"), self.requires_grad)
        memo[id(self)] = result
        return result


def weight_and_bias(weight_shape: tuple[int, ...], bias: bool, dtype: Any = None
                    ) -> tuple[Parameter, Parameter | None]:
    """Uninitialized weight and (if `bias`) bias of a layer with weight_shape[0] outputs, in
    `dtype` or the default dtype."""
    dtype = backend.resolve_float_dtype(dtype)
    weight = Parameter(np.empty(weight_shape, dtype=dtype))
    return weight, Parameter(np.empty(weight_shape[0], dtype=dtype)) if bias else None
