"""Constant padding layers (ZeroPad2d, ConstantPad1d, ConstantPad2d) over F.pad."""

from __future__ import annotations

from collections.abc import Sequence

from npnn._tensor import Tensor
from npnn.nn import functional as F
from npnn.nn.module import Module


def _widths(padding: int | Sequence[int], pairs: int, name: str) -> tuple[int, ...]:
    """An int pads every side; otherwise (left, right[, top, bottom]) as PyTorch."""
    if isinstance(padding, int):
        return (padding,) * (2 * pairs)
    padding = tuple(padding)
    if len(padding) != 2 * pairs:
        raise ValueError(f"{name}: padding must be an int or a tuple of {2 * pairs} ints, got {padding}")
    return padding


class _ConstantPadNd(Module):
    pairs: int

    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__()
        self.padding, self.value = _widths(padding, self.pairs, type(self).__name__), value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with `value`: padding = p or (left, right)."""

    pairs = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with `value`: padding = p or (left, right, top, bottom)."""

    pairs = 2


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros: padding = p or (left, right, top, bottom)."""

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"
