"""`Parameter`: a leaf tensor that a Module registers and an optimizer updates."""

from __future__ import annotations

from typing import Any

from npnn.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that requires grad by default and is registered when set on a Module."""

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = []
        super().__init__(data.data if isinstance(data, Tensor) else data,
                         requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
