"""Channels-last arrays: (N, C, H, W) shaped, laid out in memory as (N, H, W, C).

Convolutions return their output this way (PyTorch's channels_last memory format) because their
matrix product yields it without a transposing copy; ReLU, max pooling without padding and batch
norm keep it, so that each pass reads and writes memory in the same order (average pooling and
padded max pooling return contiguous arrays).
"""

from __future__ import annotations

from typing import Any

from npnn import backend


def is_channels_last(array: Any) -> bool:
    """Whether an (N, C, H, W, ...) array or view has its channels innermost in memory: its
    channel stride is below its width stride."""
    return array.ndim >= 4 and array.shape[1] > 1 and abs(array.strides[1]) < abs(array.strides[3])


def empty_in_layout(like: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """An empty (N, C, H, W) array laid out in memory as `like` is: channels-last or not."""
    xp = backend.get_array_module(like)
    if is_channels_last(like):
        n, channels, height, width = shape
        return xp.empty((n, height, width, channels), dtype=dtype).transpose(0, 3, 1, 2)
    return xp.empty(shape, dtype=dtype)
