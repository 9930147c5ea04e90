"""`npnn.device`: a device name with PyTorch's `.type` and `.index`.

Differs from torch.device: it is also the `str` of its name, so `x.device == "cpu"` holds
(torch.device("cpu") == "cpu" is False in PyTorch) and code written for npnn's string
devices keeps working. npnn has two devices: "cpu" (NumPy) and "cuda" (CuPy).
"""

from __future__ import annotations

from typing import Any

TYPES = ("cpu", "cuda", "mps", "xpu", "meta")  # names PyTorch users write; npnn runs "cpu" and "cuda"


class device(str):
    """`device("cpu")`, `device("cuda")`, `device("cuda:0")`, `device("cuda", 0)`, `device(0)`."""

    type: str
    index: int | None

    def __new__(cls, type: Any, index: int | None = None) -> device:
        if isinstance(type, device) and index is None:
            return type
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type  # torch.device(0) is cuda:0
        if not isinstance(type, str):
            raise TypeError(f"device() takes a string such as 'cpu' or 'cuda:0', got {type!r}")
        kind, colon, number = type.partition(":")
        if kind not in TYPES or (colon and not number.isdigit()) or (colon and index is not None):
            raise RuntimeError(f"unknown device {type!r}: npnn runs on 'cpu' (NumPy) and "
                               "'cuda' or 'cuda:N' (CuPy)")
        if colon:
            index = int(number)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise RuntimeError(f"device index must be a non-negative int, got {index!r}")
        name = kind if index is None else f"{kind}:{index}"
        result = super().__new__(cls, name)
        result.type, result.index = kind, index
        return result

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (str(self),)
