"""More pooling layers, as torch.nn's: AdaptiveMaxPool1d/2d and LPPool1d/2d (power-average)."""

from __future__ import annotations

from collections.abc import Sequence

from npnn._tensor import Tensor
from npnn.nn import functional as F
from npnn.nn.module import Module
from npnn.ops.conv import Pair


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed (Ho, Wo) whatever the input size (None keeps that size);
    return_indices=True also returns each maximum's flat index h·W + w."""

    def __init__(self, output_size: int | Sequence[int | None] | None, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """Max pooling of (N, C, L) to a fixed length."""

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class LPPool2d(Module):
    """(Σ x^p over each window)^(1/p); stride defaults to kernel_size."""

    def __init__(self, norm_type: float, kernel_size: Pair, stride: Pair | None = None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        return F.lp_pool2d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(LPPool2d):
    """(Σ x^p over each window of (N, C, L))^(1/p)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.lp_pool1d(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)
