"""The string paddings of conv1d/conv2d, as PyTorch's: 'valid' is no padding; 'same' pads
dilation·(kernel - 1) per dim, half before and the rest after. Where that total is odd, the one
extra row/column after is added by F.pad first (as PyTorch does), and the convolution pads the
rest evenly."""

from __future__ import annotations

from typing import Any

from npnn._tensor import Tensor, to_tensor
from npnn.ops.padding import pad

PADDING_STRINGS = ("same", "valid")
Pair = int | tuple[int, int]


def _pair(value: Pair) -> tuple[int, ...]:
    """An int or a pair (conv2d checks them); here before ops.conv, which imports this module."""
    return (value, value) if isinstance(value, int) else tuple(value)


def same_widths(kernel: tuple[int, ...], dilation: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """(before, after) per dim for padding='same': dilation·(kernel - 1) split, the odd one after."""
    totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
    return tuple((total // 2, total - total // 2) for total in totals)


def string_padding(input: Any, weight: Any, stride: Pair, padding: str,
                   dilation: Pair) -> tuple[Tensor, tuple[int, int]]:
    """The input (padded after by the uneven rest of 'same') and the even padding for conv2d."""
    x = to_tensor(input)
    if padding not in PADDING_STRINGS:
        raise RuntimeError(f"Invalid padding string: {padding!r}; use 'same', 'valid' or numbers")
    if padding == "valid":
        return x, (0, 0)
    if any(s != 1 for s in _pair(stride)):
        raise RuntimeError("padding='same' is not supported for strided convolutions; use stride=1, "
                           "or give the padding as numbers")
    kernel = tuple(to_tensor(weight).shape[2:])
    if len(kernel) != 2:  # conv2d names the weight's wrong shape
        return x, (0, 0)
    widths = same_widths(kernel, _pair(dilation))
    (top, bottom), (left, right) = widths
    if bottom != top or right != left:
        x = pad(x, (0, right - left, 0, bottom - top))
    return x, (top, left)
