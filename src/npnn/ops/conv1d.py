"""1-D convolution and pooling over (N, C, L) or (C, L), as torch.nn.functional's conv1d,
max_pool1d and avg_pool1d: the 2-D ops on a height-1 image (kernel 1, stride 1, no padding
along the height), which gives PyTorch's results and gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import ops
from npnn._tensor import Tensor, to_tensor
from npnn.ops.conv import max_pool2d
from npnn.ops.conv_groups import check_groups, conv2d
from npnn.ops.pooling import avg_pool2d

Single = int | tuple[int]


def _single(value: Single, name: str) -> int:
    """An int or a 1-tuple, as PyTorch's _single."""
    if isinstance(value, int):
        return value
    if len(value) != 1:
        raise ValueError(f"{name} must be an int or a tuple of one int for a 1-D op, got {value!r}")
    return value[0]


def _as_image(x: Tensor, name: str) -> tuple[Tensor, bool]:
    """(N, C, 1, L) from (N, C, L), or from an unbatched (C, L); whether a batch dim was added."""
    if x.ndim not in (2, 3):
        raise RuntimeError(f"{name}: expected 2D (unbatched) or 3D (batched) input of shape (C, L) or "
                           f"(N, C, L), got {x.ndim}D input of shape {x.shape}")
    added = x.ndim == 2
    return (x.unsqueeze(0) if added else x).unsqueeze(2), added


def _as_sequence(out: Tensor, added: bool) -> Tensor:
    out = out.squeeze(2)
    return out.squeeze(0) if added else out


def conv1d(input: Any, weight: Any, bias: Any = None, stride: Single = 1, padding: Single | str = 0,
           dilation: Single = 1, groups: int = 1) -> Tensor:
    """Cross-correlation of (N, C, L) with weight (O, C/groups, k), plus bias (O,): (N, O, Lo)."""
    x, weight = to_tensor(input), to_tensor(weight)
    image, added = _as_image(x, "conv1d")
    if weight.ndim != 3:
        raise RuntimeError(f"conv1d: weight of size {list(weight.shape)} must be 3-D (out_channels, "
                           f"{image.shape[1]} // groups, k)")
    check_groups(groups, weight, image.shape[1], x.shape)
    out = conv2d(image, weight.unsqueeze(2), bias, (1, _single(stride, "stride")),
                 padding if isinstance(padding, str) else (0, _single(padding, "padding")),
                 (1, _single(dilation, "dilation")), groups)
    return _as_sequence(out, added)


def max_pool1d(input: Any, kernel_size: Single, stride: Single | None = None, padding: Single = 0,
               dilation: Single = 1, ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    """The maximum of each kernel_size window along L, stepping by stride (default: kernel_size).
    ceil_mode=True keeps a last partial window (that starts in the input or its left padding):
    the input is extended by -inf to hold it, as PyTorch's rule."""
    if return_indices:
        raise NotImplementedError("max_pool1d: return_indices=True is not implemented in npnn")
    image, added = _as_image(to_tensor(input), "max_pool1d")
    kernel = _single(kernel_size, "kernel_size")
    step = kernel if stride is None or stride == () else _single(stride, "stride")
    pad, dilate = _single(padding, "padding"), _single(dilation, "dilation")
    if ceil_mode:
        image = _extend_for_ceil(image, kernel, step, pad, dilate)
    out = max_pool2d(image, (1, kernel), (1, step), (0, pad), (1, dilate), False)
    return _as_sequence(out, added)


def _extend_for_ceil(image: Tensor, kernel: int, step: int, pad: int, dilate: int) -> Tensor:
    """The image extended on the right by -inf so that floor-mode pooling gives ceil mode's
    windows (PyTorch's pooling_output_shape)."""
    size, span = image.shape[-1], dilate * (kernel - 1) + 1
    out = -(-(size + 2 * pad - span) // step) + 1
    if (out - 1) * step >= size + pad:  # the last window would start in the right padding
        out -= 1
    extra = (out - 1) * step + span - (size + 2 * pad)
    if extra <= 0:
        return image
    fill = -np.inf if np.dtype(image.dtype).kind == "f" else np.iinfo(image.dtype).min
    return ops.pad(image, (0, extra), value=fill)


def avg_pool1d(input: Any, kernel_size: Single, stride: Single | None = None, padding: Single = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """The mean of each kernel_size window along L, stepping by stride (default: kernel_size)."""
    image, added = _as_image(to_tensor(input), "avg_pool1d")
    kernel = _single(kernel_size, "kernel_size")
    step = kernel if stride is None or stride == () else _single(stride, "stride")
    out = avg_pool2d(image, (1, kernel), (1, step), (0, _single(padding, "padding")), ceil_mode,
                     count_include_pad)
    return _as_sequence(out, added)
