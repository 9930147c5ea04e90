"""conv2d, as torch.nn.functional's, and its grouped kernels (`groups` > 1): input channel group g
(C/groups channels) meets only output channel group g; groups=1 is conv.py's Conv2d.

The im2col columns are copied once straight into group-major order (G, N·Ho·Wo, kH·kW·C/G), so
that each group's product is one batched matrix product over G; gradients go the same way. A
depthwise convolution (one input channel per group, MobileNet's and ConvNeXt's) runs no matrix
product at all: its output is a sum over the kH·kW kernel positions of strided views of the
padded channels-last input, each times a weight per channel (C BLAS calls of a few columns each
measured far slower). Both give channels-last outputs, as Conv2d's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from npnn import backend, parallel
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.dtypes import torch_name
from npnn.ops.conv import (
    Conv2d,
    Pair,
    _as_strided,
    _channels_last_padded,
    _check_input,
    _copy,
    _output_shape,
    as_pair,
)
from npnn.ops.conv_padding import string_padding

# a depthwise pass works on blocks of about this many output values: 2^18 measured fastest of
# 2^12..2^21 (2-core EPYC); smaller blocks, though closer to the caches, pay NumPy's per-call cost
BLOCK_ELEMENTS = 1 << 18


def grouped_columns(x: Any, groups: int, kernel: tuple[int, int], stride: tuple[int, int],
                    padding: tuple[int, int], dilation: tuple[int, int], out: tuple[int, int] | None = None
                    ) -> tuple[Any, tuple[int, ...], tuple[int, int]]:
    """im2col of x (N, C, H, W) per channel group: (G, N·Ho·Wo, kH·kW·C/G) columns, the padded
    group-major input's shape (G, N, H + 2·pH, W + 2·pW, C/G) and (Ho, Wo); `out` as
    channels_last_columns'. The windows are read from a group-major copy of the input, where a
    window row's kW·C/G values lie together: the copy measured 1.8x faster than from a
    channels-last one (runs of C/G values)."""
    n, channels = x.shape[:2]
    padded = _group_major_padded(x, groups, padding)
    out_h, out_w = out or _output_shape(x.shape[2:], kernel, stride, padding, dilation)
    sg, sn, sh, sw, sc = padded.strides
    windows = _as_strided(padded, (groups, n, out_h, out_w, *kernel, channels // groups),
                          (sg, sn, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1], sc))
    columns = _copy(windows, axis=1).reshape(groups, n * out_h * out_w, -1)
    return columns, padded.shape, (out_h, out_w)


def _group_major_padded(x: Any, groups: int, padding: tuple[int, int]) -> Any:
    """x (N, C, H, W) as a contiguous (G, N, H + 2·pH, W + 2·pW, C/G) array with zeros around."""
    xp = backend.get_array_module(x)
    n, channels, height, width = x.shape
    p_h, p_w = padding
    padded = xp.zeros((groups, n, height + 2 * p_h, width + 2 * p_w, channels // groups), dtype=x.dtype)
    source = x.reshape(n, groups, channels // groups, height, width).transpose(1, 0, 3, 4, 2)

    def copy_rows(part: slice) -> None:
        padded[:, part, p_h:p_h + height, p_w:p_w + width] = source[:, part]

    parallel.over_rows(copy_rows, n, padded.size, split=xp is np)
    return padded


def scatter_grouped(grad_columns: Any, padded_shape: tuple[int, ...], out: tuple[int, int],
                    kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
                    padding: tuple[int, int]) -> Any:
    """col2im per group: sum the (G, N·Ho·Wo, kH·kW·C/G) column gradients ((Ho, Wo) = `out`) back
    onto a zero padded group-major array of `padded_shape`, kernel position by kernel position
    (no transposing copy of the columns); the unpadded part, as an (N, C, H, W) view of a compact
    channels-last copy."""
    xp = backend.get_array_module(grad_columns)
    groups, n, height, width, size = padded_shape
    (k_h, k_w), (s_h, s_w), (d_h, d_w), (p_h, p_w), (out_h, out_w) = kernel, stride, dilation, padding, out
    pieces = grad_columns.reshape(groups, n, out_h, out_w, k_h, k_w, size)
    grad = xp.zeros(padded_shape, dtype=grad_columns.dtype)

    def add_rows(part: slice) -> None:
        for i in range(k_h):
            rows = slice(i * d_h, i * d_h + s_h * (out_h - 1) + 1, s_h)
            for j in range(k_w):
                cols = slice(j * d_w, j * d_w + s_w * (out_w - 1) + 1, s_w)
                grad[:, part, rows, cols] += pieces[:, part, :, :, i, j]

    parallel.over_rows(add_rows, n, grad_columns.size, split=xp is np)
    unpadded = grad[:, :, p_h:height - p_h, p_w:width - p_w].transpose(1, 2, 3, 0, 4)  # (N, H, W, G, C/G)
    return _copy(unpadded, axis=0).reshape(n, height - 2 * p_h, width - 2 * p_w, -1).transpose(0, 3, 1, 2)


class GroupedConv2d(Function):
    """Conv2d with `groups` > 1: (G, N·Ho·Wo, kH·kW·C/G) @ (G, kH·kW·C/G, O/G), written into the
    (N·Ho·Wo, G, O/G) output (channels-last, as Conv2d's) without a copy."""

    def forward(self, x, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        xp = backend.get_array_module(x)
        n = x.shape[0]
        out_channels, size, k_h, k_w = weight.shape
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        self.columns, self.padded_shape, (out_h, out_w) = grouped_columns(
            x, groups, (k_h, k_w), stride, padding, dilation)
        self.weight_shape = weight.shape
        per_group = out_channels // groups
        self.matrices = weight.reshape(groups, per_group, size, k_h, k_w).transpose(0, 3, 4, 2, 1).reshape(
            groups, k_h * k_w * size, per_group)  # (G, kH·kW·C/G, O/G)
        result = xp.empty((self.columns.shape[1], out_channels), dtype=self.columns.dtype)
        matmul_into(self.columns, self.matrices, result.reshape(-1, groups, per_group).transpose(1, 0, 2))
        if bias is not None:
            result += bias
        return result.reshape(n, out_h, out_w, out_channels).transpose(0, 3, 1, 2)

    def backward(self, grad_output):
        out_channels, out_h, out_w = grad_output.shape[1:]
        groups = self.groups
        grad = _channels_last_matrix(grad_output)  # (N·Ho·Wo, O)
        # (G, N·Ho·Wo, O/G), copied: the products below measured up to 1.7x slower on the strided view
        grouped = _copy(grad.reshape(-1, groups, out_channels // groups).transpose(1, 0, 2), axis=1)
        grad_x = grad_weight = grad_bias = None
        if self.needs_input_grad[0]:
            grad_x = scatter_grouped(grouped @ self.matrices.transpose(0, 2, 1), self.padded_shape,
                                     (out_h, out_w), self.weight_shape[2:], self.stride, self.dilation,
                                     self.padding)
        if self.needs_input_grad[1]:
            _, size, k_h, k_w = self.weight_shape
            # (K, M) @ (M, O/G) per group: the order Conv2d's weight gradient measured fastest
            grad_matrices = self.columns.transpose(0, 2, 1) @ grouped  # (G, kH·kW·C/G, O/G)
            grad_weight = grad_matrices.reshape(groups, k_h, k_w, size, -1).transpose(0, 4, 3, 1, 2)
            grad_weight = backend.get_array_module(grad).ascontiguousarray(grad_weight).reshape(
                self.weight_shape)
        if len(self.needs_input_grad) == 2:
            return grad_x, grad_weight
        if self.needs_input_grad[2]:
            grad_bias = grad.sum(axis=0)
        return grad_x, grad_weight, grad_bias


class DepthwiseConv2d(Function):
    """Conv2d with one input channel per group (groups = C, weight (C·m, 1, kH, kW)): output
    channel c·m + k is the sum over kernel positions (i, j) of the input channel c's pixels under
    (i, j) times weight[c·m + k, 0, i, j]. Worked through in blocks of images (or of rows of one
    large image), split over threads; backward reads each block once for both gradients. A
    MobileNet 3x3 layer (N=64, C=64, 28x28, float32) measured 0.9-1.5x PyTorch CPU's time forward
    and backward (2-core EPYC, shared and noisy)."""

    def forward(self, x, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        xp = backend.get_array_module(x)
        n, channels = x.shape[:2]
        self.stride, self.dilation, self.padding = stride, dilation, padding
        self.kernel, self.weight_shape = weight.shape[2:], weight.shape
        self.padded = _channels_last_padded(x, padding)
        self.out = _output_shape(x.shape[2:], self.kernel, stride, padding, dilation)
        self.weights = weight.reshape(channels, -1, *self.kernel)  # (C, m, kH, kW)
        multiplier = self.weights.shape[1]
        result = xp.empty((n, *self.out, channels, multiplier), dtype=x.dtype)

        def rows(part: slice) -> None:
            scratch = None
            for block in self._blocks(part):
                for k in range(multiplier):
                    target = result[block][..., k]
                    for position, tap in enumerate(self._taps(self.padded, block)):
                        scale = self.weights[:, k, position // self.kernel[1], position % self.kernel[1]]
                        if position == 0:
                            xp.multiply(tap, scale, out=target)
                            continue
                        if scratch is None or scratch.shape != target.shape:
                            scratch = xp.empty_like(target)
                        xp.multiply(tap, scale, out=scratch)
                        target += scratch

        parallel.over_rows(rows, n, result.size * self.kernel[0] * self.kernel[1], split=xp is np)
        result = result.reshape(n, *self.out, -1)
        if bias is not None:
            result += bias
        return result.transpose(0, 3, 1, 2)

    def backward(self, grad_output):
        xp = backend.get_array_module(grad_output)
        n, channels = self.padded.shape[0], self.padded.shape[3]
        multiplier = self.weights.shape[1]
        grad = _channels_last_matrix(grad_output).reshape(n, *self.out, channels, multiplier)
        want_x, want_weight = self.needs_input_grad[0], self.needs_input_grad[1]
        grad_padded = xp.zeros(self.padded.shape, dtype=grad.dtype) if want_x else None

        def rows(part: slice) -> Any:
            grad_weights = xp.zeros(self.weights.shape, dtype=grad.dtype)
            scratch = None
            for block in self._blocks(part):
                taps = self._taps(self.padded, block)
                targets = self._taps(grad_padded, block) if want_x else taps
                for position, (tap, target) in enumerate(zip(taps, targets, strict=True)):
                    i, j = divmod(position, self.kernel[1])
                    for k in range(multiplier):
                        piece = grad[block][..., k]
                        if scratch is None or scratch.shape != piece.shape:
                            scratch = xp.empty_like(piece)
                            ones = xp.ones(scratch.size // channels, dtype=scratch.dtype)
                        if want_weight:  # the sum over pixels as a product: measured 4x faster than sum()
                            xp.multiply(tap, piece, out=scratch)
                            grad_weights[:, k, i, j] += ones @ scratch.reshape(-1, channels)
                        if want_x:
                            xp.multiply(piece, self.weights[:, k, i, j], out=scratch)
                            target += scratch
            return grad_weights

        parts = parallel.over_rows(rows, n, grad.size * self.kernel[0] * self.kernel[1], split=xp is np)
        grad_x = grad_weight = None
        if want_x:
            (p_h, p_w), (height, width) = self.padding, self.padded.shape[1:3]
            grad_x = grad_padded[:, p_h:height - p_h, p_w:width - p_w].transpose(0, 3, 1, 2)
        if want_weight:
            grad_weight = sum(parts[1:], parts[0]).reshape(self.weight_shape)
        if len(self.needs_input_grad) == 2:
            return grad_x, grad_weight
        grad_bias = grad.sum(axis=(0, 1, 2)).reshape(-1) if self.needs_input_grad[2] else None
        return grad_x, grad_weight, grad_bias

    def _blocks(self, part: slice) -> Iterator[tuple[slice, slice]]:
        """(images, output rows) of `part`, each about BLOCK_ELEMENTS output values: whole images
        when they are small, else runs of rows of one image."""
        out_h, out_w = self.out
        per_row = out_w * self.padded.shape[3]
        if per_row * out_h <= BLOCK_ELEMENTS:
            step = BLOCK_ELEMENTS // (per_row * out_h)
            for start in range(part.start, part.stop, step):
                yield slice(start, min(start + step, part.stop)), slice(0, out_h)
            return
        rows = max(1, BLOCK_ELEMENTS // per_row)
        for image in range(part.start, part.stop):
            for top in range(0, out_h, rows):
                yield slice(image, image + 1), slice(top, min(top + rows, out_h))

    def _taps(self, padded: Any, block: tuple[slice, slice]) -> list[Any]:
        """The (n, rows, Wo, C) strided views of `padded` under each kernel position, for the
        output block (images, rows)."""
        (s_h, s_w), (d_h, d_w), out_w = self.stride, self.dilation, self.out[1]
        images, rows = block
        first, count = rows.start * s_h, rows.stop - rows.start
        return [padded[images, first + i * d_h:first + i * d_h + s_h * (count - 1) + 1:s_h,
                       j * d_w:j * d_w + s_w * (out_w - 1) + 1:s_w]
                for i in range(self.kernel[0]) for j in range(self.kernel[1])]


def matmul_into(a: Any, b: Any, out: Any) -> None:
    """out[...] = a @ b for a strided `out` view: NumPy's BLAS writes it in place (its leading
    dimension may exceed its width); other array modules get the product copied in."""
    if backend.get_array_module(out) is np:
        np.matmul(a, b, out=out)
    else:
        out[...] = a @ b


def _channels_last_matrix(grad_output: Any) -> Any:
    """grad_output (N, O, Ho, Wo) as a contiguous (N·Ho·Wo, O) matrix (a view when channels-last)."""
    grad = grad_output.transpose(0, 2, 3, 1)
    if not grad.flags.c_contiguous:
        grad = _copy(grad, axis=0)
    return grad.reshape(-1, grad_output.shape[1])


def check_groups(groups: int, weight: Tensor, in_channels: int, input_shape: tuple[int, ...],
                 transposed: bool = False) -> None:
    """PyTorch's checks (and words) for a weight that does not split into `groups`, with the fix."""
    if not isinstance(groups, int) or groups < 1:
        raise RuntimeError(f"non-positive groups is not supported (got groups={groups!r}; use an int >= 1)")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                           f"dimension 0, but got weight of size [{list(weight.shape)}] instead (its first "
                           f"dim, {'in' if transposed else 'out'}_channels, must be a multiple of groups)")
    expected = weight.shape[0] if transposed else weight.shape[1] * groups
    if in_channels != expected:
        layout = (f"({in_channels}, out_channels/groups, kH, kW)" if transposed else
                  f"(out_channels, {in_channels // groups}, kH, kW)")
        fix = (f"weight must be {layout} for {in_channels} input channels in {groups} groups"
               if in_channels % groups == 0 else
               f"the {in_channels} input channels do not split into {groups} groups")
        raise RuntimeError(f"Given {'transposed=1' if transposed else f'groups={groups}'}, weight of size "
                           f"{list(weight.shape)}, expected input{list(input_shape)} to have {expected} "
                           f"channels, but got {in_channels} channels instead ({fix})")


def check_same_dtype(x: Tensor, weight: Tensor, op: str) -> None:
    """As PyTorch, a convolution of floats of two dtypes is an error, not a silent upcast."""
    if x.array.dtype != weight.array.dtype and "f" in (x.dtype.kind, weight.dtype.kind):
        raise RuntimeError(
            f"{op}: Input type ({torch_name(x.dtype)}) and weight type ({torch_name(weight.dtype)}) should "
            "be the same; convert one of them, e.g. input.float() for float32 weights or model.double()")


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Pair = 1, padding: Pair | str = 0,
           dilation: Pair = 1, groups: int = 1) -> Tensor:
    """Cross-correlation of (N, C, H, W) with weight (O, C/groups, kH, kW), plus bias (O,):
    (N, O, Ho, Wo). With groups > 1, the channels split into `groups` equal groups, output group
    g reading input group g only (groups = C: depthwise)."""
    if isinstance(padding, str):  # 'valid' or 'same' (stride 1; an odd total's extra one after)
        input, padding = string_padding(input, weight, stride, padding, dilation)
    x, weight = to_tensor(input), to_tensor(weight)
    _check_input(x, "conv2d")
    check_same_dtype(x, weight, "conv2d")
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d: weight of shape {weight.shape} does not fit input of shape {x.shape} "
                           f"(weight must be (out_channels, {x.shape[1]}, kH, kW))")
    check_groups(groups, weight, x.shape[1], x.shape)
    stride_, padding_, dilation_ = as_pair(stride, "stride", 1), as_pair(padding, "padding", 0), \
        as_pair(dilation, "dilation", 1)
    if min(_output_shape(x.shape[2:], weight.shape[2:], stride_, padding_, dilation_)) < 1:
        raise RuntimeError(f"conv2d: kernel {tuple(weight.shape[2:])} (dilation {dilation_}) is larger "
                           f"than the padded input {x.shape[2:]} + padding {padding_}")
    settings = {"stride": stride_, "padding": padding_, "dilation": dilation_}
    function = Conv2d
    if groups != 1:
        function, settings["groups"] = DepthwiseConv2d if weight.shape[1] == 1 else GroupedConv2d, groups
    if bias is None:
        return function.apply(x, weight, **settings)
    return function.apply(x, weight, to_tensor(bias), **settings)
