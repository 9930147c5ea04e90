"""ConvTranspose2d, as torch.nn's: the decoder's and the DCGAN generator's upsampling convolution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor
from npnn.nn import functional as F
from npnn.nn.conv import _ConvNd
from npnn.nn.parameter import Parameter
from npnn.ops.conv import Pair, as_pair
from npnn.ops.conv_transpose import output_padding_for


class ConvTranspose2d(_ConvNd):
    """(N, C_in, H, W) -> (N, C_out, Ho, Wo), Ho = (H - 1)·stride - 2·padding + dilation·(kH - 1) +
    output_padding + 1; weight (C_in, C_out/groups, kH, kW). PyTorch's default init: U(-1/√fan_in,
    1/√fan_in) with fan_in = C_out/groups·kH·kW (the weight's second dim, as torch computes it), for
    weight and bias. Only padding_mode='zeros'."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Pair, stride: Pair = 1,
                 padding: Pair = 0, output_padding: Pair = 0, groups: int = 1, bias: bool = True,
                 dilation: Pair = 1, padding_mode: str = "zeros", device: Any = None, dtype: Any = None,
                 *, generator: Any = None) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError('Only "zeros" padding mode is supported for ConvTranspose2d')
        self._check_groups(in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = as_pair(kernel_size, "kernel_size", 1)
        self.stride, self.padding = as_pair(stride, "stride", 1), as_pair(padding, "padding", 0)
        self.output_padding = as_pair(output_padding, "output_padding", 0)
        self.dilation, self.padding_mode = as_pair(dilation, "dilation", 1), padding_mode
        dtype = backend.resolve_float_dtype(dtype)
        shape = (in_channels, out_channels // groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        self.bias = Parameter(np.empty(out_channels, dtype=dtype)) if bias else None
        self.reset_parameters(generator)
        if device is not None:
            self.to(device)

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        """output_size (H, W), (N, C, H, W) or, for unbatched input, (C, H, W) picks the
        output_padding that gives it (an output of a strided layer can have more than one size)."""
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = output_padding_for(output_size, tuple(input.shape[-2:]), self.kernel_size,
                                                self.stride, self.padding, self.dilation, input.ndim)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                  self.groups, self.dilation)
