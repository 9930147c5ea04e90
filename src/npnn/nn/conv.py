"""Convolution layers: Conv2d and MaxPool2d, as torch.nn's, and what the convolutions and max
pools of other shapes share with them (Conv1d, ConvTranspose2d, MaxPool1d)."""

from __future__ import annotations

from typing import Any

from npnn._tensor import Tensor
from npnn.nn import functional as F
from npnn.nn import init
from npnn.nn.module import Module
from npnn.nn.parameter import weight_and_bias
from npnn.ops.conv import Pair, as_pair
from npnn.ops.conv_padding import PADDING_STRINGS, same_widths

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """PyTorch's default init and repr of every convolution layer, and its padding rules."""

    def _set_padding_mode(self, padding_mode: str) -> None:
        """PyTorch's checks of string padding and padding_mode; `_reversed_padding_repeated_twice`
        is F.pad's widths for a padding_mode other than 'zeros' (padded first, then convolved
        without padding, as PyTorch)."""
        if isinstance(self.padding, str):
            if self.padding not in PADDING_STRINGS:
                raise ValueError(f"Invalid padding string {self.padding!r}, should be one of "
                                 f"{set(PADDING_STRINGS)}")
            if self.padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions; use stride=1 "
                                 "or give the padding as numbers")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {set(PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        self.padding_mode = padding_mode
        if self.padding == "same":
            widths = same_widths(self.kernel_size, self.dilation)
        else:
            widths = tuple((p, p) for p in ((0,) * len(self.kernel_size) if self.padding == "valid"
                                            else self.padding))
        self._reversed_padding_repeated_twice = tuple(w for pair in reversed(widths) for w in pair)

    def _border_padded(self, input: Tensor) -> Tensor:
        return F.pad(input, self._reversed_padding_repeated_twice, self.padding_mode)

    @staticmethod
    def _check_groups(in_channels: int, out_channels: int, groups: int) -> None:
        """PyTorch's checks of `groups`, raised with its words (and what to change)."""
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"groups must be a positive integer (got {groups!r})")
        if in_channels % groups != 0:
            raise ValueError(f"in_channels must be divisible by groups (in_channels={in_channels}, "
                             f"groups={groups})")
        if out_channels % groups != 0:
            raise ValueError(f"out_channels must be divisible by groups (out_channels={out_channels}, "
                             f"groups={groups})")

    def reset_parameters(self, generator: Any = None) -> None:
        init.layer_default_(self.weight, self.bias, generator)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        dims = len(self.kernel_size)
        for name, default in (("padding", (0,) * dims), ("dilation", (1,) * dims),
                              ("output_padding", (0,) * dims)):
            if getattr(self, name, default) != default:
                text += f", {name}={getattr(self, name)}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        text += "" if self.bias is not None else ", bias=False"
        mode = getattr(self, "padding_mode", "zeros")
        return text + ("" if mode == "zeros" else f", padding_mode={mode}")


class Conv2d(_ConvNd):
    """(N, C_in, H, W) -> (N, C_out, Ho, Wo); weight (C_out, C_in/groups, kH, kW); PyTorch's default
    init U(-1/√fan_in, 1/√fan_in), fan_in = C_in/groups·kH·kW, for weight and bias."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Pair, stride: Pair = 1,
                 padding: Pair = 0, dilation: Pair = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None, *,
                 generator: Any = None) -> None:
        super().__init__()
        self._check_groups(in_channels, out_channels, groups)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = as_pair(kernel_size, "kernel_size", 1)
        self.stride = as_pair(stride, "stride", 1)
        self.padding = padding if isinstance(padding, str) else as_pair(padding, "padding", 0)
        self.dilation, self.groups = as_pair(dilation, "dilation", 1), groups
        self._set_padding_mode(padding_mode)
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight, self.bias = weight_and_bias(shape, bias, dtype)
        self.reset_parameters(generator)
        if device is not None:
            self.to(device)

    def forward(self, input: Tensor) -> Tensor:
        if self.padding_mode != "zeros":
            return F.conv2d(self._border_padded(input), self.weight, self.bias, self.stride, 0, self.dilation,
                            self.groups)
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class _MaxPoolNd(Module):
    """The settings and repr of the max pools; stride defaults to kernel_size, as PyTorch."""

    def __init__(self, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0,
                 dilation: Pair = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        if return_indices:
            raise NotImplementedError(f"{type(self).__name__}: return_indices=True is not implemented")
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.dilation, self.ceil_mode = padding, dilation, ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """The maximum of each window."""

    def forward(self, input: Tensor) -> Tensor:
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)
