"""Padding layers over F.pad, as torch.nn's: constant (ZeroPad1d/2d/3d, ConstantPad1d/2d/3d) and the
border modes (ReflectionPad, ReplicationPad, CircularPad, each 1d/2d/3d)."""

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


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with `value`: padding = p or (left, right, top, bottom, front, back)."""

    pairs = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dim with zeros: padding = p or (left, right)."""

    pairs = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two dims with zeros: padding = p or (left, right, top, bottom)."""

    pairs = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three dims with zeros: padding = p or (left, right, top, bottom, front, back)."""

    pairs = 3


class _BorderPadNd(Module):
    """F.pad in `mode` over the last `pairs` dims; the input has 1 or 2 more dims in front."""

    pairs: int
    mode: str

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__()
        self.padding = _widths(padding, self.pairs, type(self).__name__)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_BorderPadNd):
    """Mirror the last dim about its end elements (not repeated): padding = p or (left, right),
    each below the size."""

    pairs, mode = 1, "reflect"


class ReflectionPad2d(_BorderPadNd):
    """Mirror the last two dims (style transfer, CycleGAN): padding = p or (left, right, top,
    bottom), each below its dim's size."""

    pairs, mode = 2, "reflect"


class ReflectionPad3d(_BorderPadNd):
    """Mirror the last three dims: padding = p or (left, right, top, bottom, front, back)."""

    pairs, mode = 3, "reflect"


class ReplicationPad1d(_BorderPadNd):
    """Repeat the end elements of the last dim: padding = p or (left, right)."""

    pairs, mode = 1, "replicate"


class ReplicationPad2d(_BorderPadNd):
    """Repeat the border of the last two dims: padding = p or (left, right, top, bottom)."""

    pairs, mode = 2, "replicate"


class ReplicationPad3d(_BorderPadNd):
    """Repeat the border of the last three dims: padding = p or (left, right, top, bottom, front, back)."""

    pairs, mode = 3, "replicate"


class _CircularPadNd(_BorderPadNd):
    """Wrap around; as PyTorch's, the layer checks the input's rank first."""

    mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (self.pairs + 1, self.pairs + 2):
            raise ValueError(f"expected {self.pairs + 1}D or {self.pairs + 2}D input "
                             f"(got {input.ndim}D input)")
        return F.pad(input, self.padding, self.mode)


class CircularPad1d(_CircularPadNd):
    """Wrap the last dim around: padding = p or (left, right), each at most the size."""

    pairs = 1


class CircularPad2d(_CircularPadNd):
    """Wrap the last two dims around: padding = p or (left, right, top, bottom)."""

    pairs = 2


class CircularPad3d(_CircularPadNd):
    """Wrap the last three dims around: padding = p or (left, right, top, bottom, front, back)."""

    pairs = 3
