"""Sliding blocks, as torch.nn.functional.unfold (im2col) and fold (col2im).

unfold copies each kernel-sized block of (N, C, H, W) into a column: (N, C·kH·kW, L), L the
number of blocks; fold sums such columns back onto an image, overlaps added. Each is the
other's gradient, and both reuse the convolution's channels-last im2col and col2im
(npnn.ops.conv), reordered to PyTorch's (C, kH, kW) row order.
"""

from __future__ import annotations

from typing import Any

from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.conv import Pair, as_pair, channels_last_columns, scatter_columns

Settings = tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]


def _columns(x: Any, kernel: tuple[int, int], dilation: tuple[int, int], padding: tuple[int, int],
             stride: tuple[int, int]) -> tuple[Any, tuple[int, ...]]:
    """im2col of x (N, C, H, W) in PyTorch's order, (N, C·kH·kW, L), and the padded shape."""
    n, channels = x.shape[:2]
    columns, padded_shape, (out_h, out_w) = channels_last_columns(x, kernel, stride, padding, dilation)
    columns = columns.reshape(n, out_h * out_w, kernel[0] * kernel[1], channels).transpose(0, 3, 2, 1)
    return columns.reshape(n, -1, out_h * out_w), padded_shape


def _image(columns: Any, size: tuple[int, int], kernel: tuple[int, int], dilation: tuple[int, int],
           padding: tuple[int, int], stride: tuple[int, int]) -> Any:
    """col2im of columns (N, C·kH·kW, L) onto an (N, C, *size) image, overlaps summed."""
    n = columns.shape[0]
    channels = columns.shape[1] // (kernel[0] * kernel[1])
    out_h, out_w = _blocks(size, kernel, dilation, padding, stride)
    blocks = columns.reshape(n, channels, kernel[0], kernel[1], out_h, out_w).transpose(0, 4, 5, 2, 3, 1)
    padded_shape = (n, size[0] + 2 * padding[0], size[1] + 2 * padding[1], channels)
    return scatter_columns(blocks, padded_shape, stride, dilation, padding)


def _blocks(size: tuple[int, ...], kernel: tuple[int, int], dilation: tuple[int, int],
            padding: tuple[int, int], stride: tuple[int, int]) -> tuple[int, int]:
    return tuple((size[a] + 2 * padding[a] - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1
                 for a in (0, 1))  # type: ignore[return-value]


class Unfold(Function):
    def forward(self, x, settings=None):
        self.settings, self.size = settings, x.shape[2:]
        return _columns(x, *settings)[0]

    def backward(self, grad_output):
        return _image(grad_output, self.size, *self.settings)


class Fold(Function):
    def forward(self, columns, size=None, settings=None):
        self.settings = settings
        return _image(columns, size, *settings)

    def backward(self, grad_output):
        return _columns(grad_output, *self.settings)[0]


def _settings(kernel_size: Pair, dilation: Pair, padding: Pair, stride: Pair) -> Settings:
    return (as_pair(kernel_size, "kernel_size", 1), as_pair(dilation, "dilation", 1),
            as_pair(padding, "padding", 0), as_pair(stride, "stride", 1))


def _describe(settings: Settings, with_stride: bool = True) -> str:
    names = ("kernel_size", "dilation", "padding", "stride")[:4 if with_stride else 3]
    return ", ".join(f"{name}={value}" for name, value in zip(names, settings, strict=False))


def unfold(input: Any, kernel_size: Pair, dilation: Pair = 1, padding: Pair = 0, stride: Pair = 1) -> Tensor:
    """Each kernel-sized block of (N, C, H, W) as a column: (N, C·kH·kW, L), rows in (C, kH, kW)
    order, blocks row by row; an unbatched (C, H, W) gives (C·kH·kW, L)."""
    x = to_tensor(input)
    if x.ndim not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got {x.ndim}D)")
    settings = _settings(kernel_size, dilation, padding, stride)
    batched = x if x.ndim == 4 else x.unsqueeze(0)
    blocks = _blocks(batched.shape[2:], *settings)
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size {tuple(batched.shape[2:])}, "
                           f"{_describe(settings, False)}, calculated shape of the array of sliding "
                           f"blocks as {blocks}, but its components must be at least one.")
    out = Unfold.apply(batched, settings=settings)
    return out if x.ndim == 4 else out.squeeze(0)


def fold(input: Any, output_size: Pair, kernel_size: Pair, dilation: Pair = 1, padding: Pair = 0,
         stride: Pair = 1) -> Tensor:
    """Columns (N, C·kH·kW, L) summed back onto an (N, C, *output_size) image, overlapping
    blocks added (unfold's adjoint, not its inverse); unbatched (C·kH·kW, L) gives (C, H, W)."""
    x = to_tensor(input)
    if x.ndim not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are "
                                  f"supported (got {x.ndim}D)")
    size = as_pair(output_size, "output_size", 1)
    settings = _settings(kernel_size, dilation, padding, stride)
    batched = x if x.ndim == 3 else x.unsqueeze(0)
    kernel = settings[0]
    if batched.shape[1] % (kernel[0] * kernel[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={batched.shape[1]} and kernel_size={kernel}.")
    blocks = _blocks(size, *settings)
    if min(blocks) < 1 or batched.shape[2] != blocks[0] * blocks[1]:
        raise RuntimeError(f"Given output_size={size}, {_describe(settings)}, expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks {blocks[0]} * "
                           f"{blocks[1]} = {blocks[0] * blocks[1]}, but got "
                           f"input.size(2)={batched.shape[2]}.")
    out = Fold.apply(batched, size=size, settings=settings)
    return out if x.ndim == 3 else out.squeeze(0)
