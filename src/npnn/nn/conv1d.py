"""1-D layers over (N, C, L), as torch.nn's: Conv1d, MaxPool1d, AvgPool1d (the 2-D ops on a
height-1 image, npnn.ops.conv1d)."""

from __future__ import annotations

from typing import Any

from npnn._tensor import Tensor
from npnn.nn import functional as F
from npnn.nn.conv import _ConvNd, _MaxPoolNd
from npnn.nn.module import Module
from npnn.nn.parameter import weight_and_bias
from npnn.ops.conv1d import Single, _single


class Conv1d(_ConvNd):
    """(N, C_in, L) -> (N, C_out, Lo); weight (C_out, C_in/groups, k); PyTorch's default init
    U(-1/√fan_in, 1/√fan_in), fan_in = C_in/groups·k, for weight and bias."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Single, stride: Single = 1,
                 padding: Single = 0, dilation: Single = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None, *,
                 generator: Any = None) -> None:
        super().__init__()
        self._check_groups(in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = (_single(kernel_size, "kernel_size"),)
        self.stride = (_single(stride, "stride"),)
        self.padding = padding if isinstance(padding, str) else (_single(padding, "padding"),)
        self.dilation = (_single(dilation, "dilation"),)
        self._set_padding_mode(padding_mode)
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight, self.bias = weight_and_bias(shape, bias, dtype)
        self.reset_parameters(generator)
        if device is not None:
            self.to(device)

    def forward(self, input: Tensor) -> Tensor:
        if self.padding_mode != "zeros":
            return F.conv1d(self._border_padded(input), self.weight, self.bias, self.stride, 0, self.dilation,
                            self.groups)
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class MaxPool1d(_MaxPoolNd):
    """The maximum of each window along L; stride defaults to kernel_size, as PyTorch."""

    def forward(self, input: Tensor) -> Tensor:
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)


class AvgPool1d(Module):
    """The mean of each window along L; sizes kept as 1-tuples and stride defaulting to
    kernel_size, as PyTorch."""

    def __init__(self, kernel_size: Single, stride: Single | None = None, padding: Single = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = (_single(kernel_size, "kernel_size"),)
        self.stride = self.kernel_size if stride is None else (_single(stride, "stride"),)
        self.padding, self.ceil_mode = (_single(padding, "padding"),), ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
