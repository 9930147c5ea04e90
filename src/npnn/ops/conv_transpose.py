"""2-D transposed convolution over (N, C, H, W) arrays, as torch.nn.functional.conv_transpose2d.

A transposed convolution is a convolution's input gradient: its forward is Conv2d's backward
for the input (one product into columns, then col2im) and its backward for the input is Conv2d's
forward (im2col, one product), so both reuse conv.py's channels-last kernels and threads. The
weight is (C_in, C_out, kH, kW), as PyTorch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from npnn import backend, parallel
from npnn._tensor import Tensor, to_tensor
from npnn.autograd.function import Function
from npnn.ops.conv import Pair, as_pair, channels_last_columns, scatter_columns
from npnn.ops.conv_groups import check_groups, check_same_dtype, grouped_columns, matmul_into, scatter_grouped


class ConvTranspose2d(Function):
    """(N·H·W, C_in) @ (C_in, kH·kW·C_out) gives every input pixel's contribution to a kernel-sized
    patch of the output; the patches are summed onto the output kernel position by kernel
    position. The output is channels-last, an (N, C_out, Ho, Wo) view, as Conv2d's."""

    def forward(self, x, weight, bias=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                dilation=(1, 1)):
        n, in_channels, height, width = x.shape
        _, out_channels, k_h, k_w = weight.shape
        self.kernel, self.stride, self.padding, self.dilation = (k_h, k_w), stride, padding, dilation
        self.rows = _channels_last_rows(x)  # (N·H·W, C_in)
        self.matrix = weight.transpose(0, 2, 3, 1).reshape(in_channels, -1)  # (C_in, kH·kW·C_out)
        self.weight_shape, self.input_hw = weight.shape, (height, width)
        patches = (self.rows @ self.matrix).reshape(n, height, width, k_h, k_w, out_channels)
        out = transposed_output_shape((height, width), self.kernel, stride, padding, output_padding, dilation)
        padded_shape = (n, out[0] + 2 * padding[0], out[1] + 2 * padding[1], out_channels)
        result = scatter_columns(patches, padded_shape, stride, dilation, padding)
        if padding != (0, 0):  # a compact channels-last array, not a view into the padded one
            result = _channels_last_copy(result)
        if bias is not None:
            result += bias[:, None, None]
        return result

    def backward(self, grad_output):
        n, out_channels = grad_output.shape[:2]
        columns, _, _ = channels_last_columns(grad_output, self.kernel, self.stride, self.padding,
                                              self.dilation, out=self.input_hw)  # (N·H·W, kH·kW·C_out)
        grad_x = grad_weight = grad_bias = None
        if self.needs_input_grad[0]:
            grad_x = (columns @ self.matrix.T).reshape(n, *self.input_hw, -1).transpose(0, 3, 1, 2)
        if self.needs_input_grad[1]:
            in_channels, _, k_h, k_w = self.weight_shape
            # (K, M) @ (M, C_in), transposed: the other order measured 4x slower in OpenBLAS (as
            # Conv2d's weight gradient)
            grad_matrix = (columns.T @ self.rows).T  # (C_in, kH·kW·C_out)
            grad_weight = grad_matrix.reshape(in_channels, k_h, k_w, out_channels).transpose(0, 3, 1, 2)
            grad_weight = backend.get_array_module(grad_matrix).ascontiguousarray(grad_weight)
        if len(self.needs_input_grad) == 2:
            return grad_x, grad_weight
        if self.needs_input_grad[2]:
            grad_bias = grad_output.sum(axis=(0, 2, 3))
        return grad_x, grad_weight, grad_bias


class GroupedConvTranspose2d(Function):
    """ConvTranspose2d with `groups` > 1: per group, (N·H·W, C_in/G) @ (C_in/G, kH·kW·C_out/G)
    gives the patches that are summed onto the output (ConvTranspose2d's forward, batched over G)."""

    def forward(self, x, weight, bias=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                dilation=(1, 1), groups=1):
        n, in_channels, height, width = x.shape
        _, per_group, k_h, k_w = weight.shape
        self.kernel, self.stride, self.padding, self.dilation = (k_h, k_w), stride, padding, dilation
        self.groups, self.weight_shape, self.input_hw = groups, weight.shape, (height, width)
        rows = _channels_last_rows(x)  # (N·H·W, C_in)
        self.rows = rows.reshape(-1, groups, in_channels // groups).transpose(1, 0, 2)  # (G, N·H·W, C_in/G)
        self.matrices = weight.reshape(groups, in_channels // groups, per_group, k_h * k_w).transpose(
            0, 1, 3, 2).reshape(groups, in_channels // groups, -1)  # (G, C_in/G, kH·kW·C_out/G)
        out = transposed_output_shape((height, width), self.kernel, stride, padding, output_padding, dilation)
        padded_shape = (groups, n, out[0] + 2 * padding[0], out[1] + 2 * padding[1], per_group)
        result = scatter_grouped(self.rows @ self.matrices, padded_shape, (height, width), self.kernel,
                                 stride, dilation, padding)  # a compact channels-last copy
        if bias is not None:
            result += bias[:, None, None]
        return result

    def backward(self, grad_output):
        n = grad_output.shape[0]
        columns, _, _ = grouped_columns(grad_output, self.groups, self.kernel, self.stride, self.padding,
                                        self.dilation, out=self.input_hw)  # (G, N·H·W, kH·kW·C_out/G)
        grad_x = grad_weight = grad_bias = None
        if self.needs_input_grad[0]:
            xp = backend.get_array_module(columns)
            grad_x = xp.empty((columns.shape[1], self.groups * self.rows.shape[2]), dtype=columns.dtype)
            matmul_into(columns, self.matrices.transpose(0, 2, 1),
                        grad_x.reshape(-1, self.groups, self.rows.shape[2]).transpose(1, 0, 2))
            grad_x = grad_x.reshape(n, *self.input_hw, -1).transpose(0, 3, 1, 2)
        if self.needs_input_grad[1]:
            in_channels, per_group, k_h, k_w = self.weight_shape
            grad_matrices = (columns.transpose(0, 2, 1) @ self.rows).transpose(0, 2, 1)  # (G, C_in/G, K)
            grad_weight = grad_matrices.reshape(in_channels, k_h * k_w, per_group).transpose(0, 2, 1)
            grad_weight = backend.get_array_module(grad_matrices).ascontiguousarray(grad_weight).reshape(
                self.weight_shape)
        if len(self.needs_input_grad) == 2:
            return grad_x, grad_weight
        if self.needs_input_grad[2]:
            grad_bias = grad_output.sum(axis=(0, 2, 3))
        return grad_x, grad_weight, grad_bias


def _channels_last_rows(x: Any) -> Any:
    """x (N, C, H, W) as an (N·H·W, C) matrix: a view of a channels-last input, else one copy."""
    source = x.transpose(0, 2, 3, 1)
    if not source.flags.c_contiguous:
        source = parallel.contiguous_copy(source) if backend.get_array_module(x) is np \
            else backend.get_array_module(x).ascontiguousarray(source)
    return source.reshape(-1, x.shape[1])


def _channels_last_copy(x: Any) -> Any:
    """A compact channels-last copy of an (N, C, H, W) view."""
    source = x.transpose(0, 2, 3, 1)
    xp = backend.get_array_module(x)
    copy = parallel.contiguous_copy(source) if xp is np else xp.ascontiguousarray(source)
    return copy.transpose(0, 3, 1, 2)


def transposed_output_shape(size: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int],
                            padding: tuple[int, int], output_padding: tuple[int, int],
                            dilation: tuple[int, int]) -> tuple[int, int]:
    """(H - 1)·stride - 2·padding + dilation·(kernel - 1) + output_padding + 1, per axis."""
    return tuple((size[a] - 1) * stride[a] - 2 * padding[a] + dilation[a] * (kernel[a] - 1)
                 + output_padding[a] + 1 for a in (0, 1))  # type: ignore[return-value]


def output_padding_for(output_size: Any, input_size: tuple[int, int], kernel: tuple[int, int],
                       stride: tuple[int, int], padding: tuple[int, int],
                       dilation: tuple[int, int], input_ndim: int = 4) -> tuple[int, int]:
    """The output_padding that gives `output_size` ((H, W), or ending in them: (N, C, H, W) for
    batched input, (C, H, W) for unbatched), as PyTorch's ConvTranspose2d.forward(input,
    output_size) chooses it."""
    wanted = tuple(int(s) for s in output_size)
    leading = 1 if input_ndim == 3 else 2
    if len(wanted) == 2 + leading:
        wanted = wanted[leading:]
    if len(wanted) != 2:
        raise ValueError(f"ConvTranspose2D: for {input_ndim}D input, output_size must have 2 or "
                         f"{2 + leading} elements (got {len(wanted)})")
    smallest = transposed_output_shape(input_size, kernel, stride, padding, (0, 0), dilation)
    largest = tuple(s + stride[a] - 1 for a, s in enumerate(smallest))
    if any(not smallest[a] <= wanted[a] <= largest[a] for a in (0, 1)):
        raise ValueError(f"requested an output size of {tuple(output_size)}, but valid sizes range from "
                         f"{list(smallest)} to {list(largest)} (for an input of {tuple(input_size)})")
    return tuple(wanted[a] - smallest[a] for a in (0, 1))  # type: ignore[return-value]


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Pair = 1, padding: Pair = 0,
                     output_padding: Pair = 0, groups: int = 1, dilation: Pair = 1) -> Tensor:
    """The transpose (input gradient) of conv2d: (N, C_in, H, W) with weight (C_in, C_out/groups, kH,
    kW), plus bias (C_out,), gives (N, C_out, Ho, Wo), Ho = (H - 1)·stride - 2·padding +
    dilation·(kH - 1) + output_padding + 1. A (C_in, H, W) input gives (C_out, Ho, Wo)."""
    x, weight = to_tensor(input), to_tensor(weight)
    check_same_dtype(x, weight, "conv_transpose2d")
    if x.ndim not in (3, 4):
        raise RuntimeError("Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got "
                           f"input of size: {list(x.shape)}")
    if x.ndim == 3:
        return conv_transpose2d(x.unsqueeze(0), weight, bias, stride, padding, output_padding, groups,
                                dilation).squeeze(0)
    if weight.ndim != 4:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}: expected a 4-D weight "
                           "(C_in, C_out/groups, kH, kW)")
    check_groups(groups, weight, x.shape[1], x.shape, transposed=True)
    stride_, padding_ = as_pair(stride, "stride", 1), as_pair(padding, "padding", 0)
    extra, dilation_ = as_pair(output_padding, "output_padding", 0), as_pair(dilation, "dilation", 1)
    if any(extra[a] >= max(stride_[a], dilation_[a]) for a in (0, 1)):
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           f"output_padding_height: {extra[0]} output_padding_width: {extra[1]} "
                           f"stride_height: {stride_[0]} stride_width: {stride_[1]} "
                           f"dilation_height: {dilation_[0]} dilation_width: {dilation_[1]}")
    out = transposed_output_shape(x.shape[2:], weight.shape[2:], stride_, padding_, extra, dilation_)
    if min(out) < 1:
        raise RuntimeError(f"Given input size per channel: ({x.shape[2]} x {x.shape[3]}). Calculated output "
                           f"size per channel: ({out[0]} x {out[1]}). Output size is too small")
    settings = {"stride": stride_, "padding": padding_, "output_padding": extra, "dilation": dilation_}
    function = ConvTranspose2d
    if groups != 1:
        function, settings["groups"] = GroupedConvTranspose2d, groups
    if bias is None:
        return function.apply(x, weight, **settings)
    bias = to_tensor(bias)
    if bias.shape != (weight.shape[1] * groups,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {weight.shape[1] * groups} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    return function.apply(x, weight, bias, **settings)
