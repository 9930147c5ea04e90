"""Rearranging channels and pixels, as torch.nn.functional's pixel_shuffle (sub-pixel
convolution's upsampling), pixel_unshuffle and channel_shuffle (ShuffleNet): each is a reshape,
a permutation of axes and a reshape, so its gradient is the same rearrangement backwards."""

from __future__ import annotations

from typing import Any

from npnn._tensor import Tensor, to_tensor


def _check_factor(x: Tensor, factor: int, op: str, what: str) -> None:
    if x.ndim < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input with "
                           f"{x.ndim} dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{op} expects a positive {what}, but got {factor}")


def pixel_shuffle(input: Any, upscale_factor: int) -> Tensor:
    """(*, C·r², H, W) -> (*, C, H·r, W·r): each group of r² channels becomes an r x r block."""
    x, r = to_tensor(input), upscale_factor
    _check_factor(x, r, "pixel_shuffle", "upscale_factor")
    *batch, channels, height, width = x.shape
    if channels % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
                           f"square of upscale_factor, but input.size(-3)={channels} is not divisible by "
                           f"{r * r}")
    k = len(batch)
    blocks = x.reshape(*batch, channels // (r * r), r, r, height, width)
    order = (*range(k), k, k + 3, k + 1, k + 4, k + 2)  # (*, C, H, r, W, r)
    return blocks.permute(*order).reshape(*batch, channels // (r * r), height * r, width * r)


def pixel_unshuffle(input: Any, downscale_factor: int) -> Tensor:
    """(*, C, H·r, W·r) -> (*, C·r², H, W): pixel_shuffle's inverse."""
    x, r = to_tensor(input), downscale_factor
    _check_factor(x, r, "pixel_unshuffle", "downscale_factor")
    *batch, channels, height, width = x.shape
    for name, size, axis in (("height", height, -2), ("width", width, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                               f"input.size({axis})={size} is not divisible by {r}")
    k = len(batch)
    blocks = x.reshape(*batch, channels, height // r, r, width // r, r)
    order = (*range(k), k, k + 2, k + 4, k + 1, k + 3)  # (*, C, r, r, H, W)
    return blocks.permute(*order).reshape(*batch, channels * r * r, height // r, width // r)


def channel_shuffle(input: Any, groups: int) -> Tensor:
    """(N, C, *) with C = g·k: channel i·k + j moves to j·g + i, so the next grouped convolution's
    groups each see every group's channels."""
    x = to_tensor(input)
    if x.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(x.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    n, channels, *rest = x.shape
    if channels % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {channels} channels and "
                           f"{groups} groups.")
    return x.reshape(n, groups, channels // groups, *rest).transpose(1, 2).reshape(n, channels, *rest)
