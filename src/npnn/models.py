"""Model builders used by the workflow: the original's feed-forward network (MLP) and a small CNN."""

from __future__ import annotations

from collections.abc import Sequence

from npnn import nn
from npnn._tensor import Tensor

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
}
# the CNN's pooling after each block
POOLS: dict[str, type[nn.Module]] = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def _check_activation(activation: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}: choose one of {sorted(ACTIVATIONS)}")


def _dense_layers(width: int, hidden: Sequence[int], num_classes: int, activation: str,
                  dropout: float) -> list[nn.Module]:
    """(Linear, activation[, Dropout]) per hidden size, then Linear and LogSoftmax."""
    if any(size < 1 for size in hidden):
        raise ValueError(f"hidden sizes must be positive, got {list(hidden)}")
    layers: list[nn.Module] = []
    for size in hidden:
        layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = size
    return [*layers, nn.Linear(width, num_classes), nn.LogSoftmax(dim=1)]


class MLP(nn.Module):
    """The original FNN: (Linear, activation[, Dropout]) per hidden layer, Linear, LogSoftmax.

    It returns log-probabilities, so the loss is NLL (equal to cross-entropy on logits).
    Differs from the original: no ReLU on the output layer before LogSoftmax, which clipped
    every negative logit to 0 and kept the network from expressing low class scores.
    """

    def __init__(self, in_features: int = 784, hidden: Sequence[int] = (256,), num_classes: int = 10,
                 activation: str = "relu", dropout: float = 0.0) -> None:
        super().__init__()
        _check_activation(activation)
        self.in_features, self.hidden, self.num_classes = in_features, list(hidden), num_classes
        self.layers = nn.Sequential(*_dense_layers(in_features, hidden, num_classes, activation, dropout))

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim > 2:
            input = input.flatten(1)
        return self.layers(input)


class CNN(nn.Module):
    """Blocks of (Conv2d (odd kernel, padded to keep the size) → [BatchNorm2d] → activation)
    × `convs_per_block` (2 or more: VGG's blocks) → pool(2), one block per entry of `channels`;
    then Flatten → (Linear, activation[, Dropout]) per `hidden` size → Linear → LogSoftmax,
    returning log-probabilities like the MLP.

    Takes (N, C, H, W) images, or rows of C·H·W pixels (the workflow's loader), which it
    reshapes to `image_shape`. The convolutions have no bias when batch norm follows them.
    """

    def __init__(self, image_shape: tuple[int, int, int] = (1, 28, 28), channels: Sequence[int] = (32, 64),
                 kernel_size: int = 3, hidden: Sequence[int] = (128,), num_classes: int = 10,
                 activation: str = "relu", dropout: float = 0.0, batch_norm: bool = False,
                 pool: str = "max", convs_per_block: int = 1) -> None:
        super().__init__()
        _check_activation(activation)
        if not channels or any(c < 1 for c in channels):
            raise ValueError(f"channels must be one or more positive counts, got {list(channels)}")
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (padding (k-1)/2 keeps the size), got {kernel_size}")
        if convs_per_block < 1:
            raise ValueError(f"convs_per_block must be at least 1, got {convs_per_block}")
        if pool not in POOLS:
            raise ValueError(f"unknown pool {pool!r}: choose one of {sorted(POOLS)}")
        depth, height, width = image_shape
        if min(height, width) >> len(channels) < 1:
            raise ValueError(f"{len(channels)} blocks halve {height}×{width} images to nothing; "
                             f"use at most {min(height, width).bit_length() - 1}")
        self.image_shape, self.channels = tuple(image_shape), list(channels)
        blocks: list[nn.Module] = []
        for out in channels:
            for _ in range(convs_per_block):
                blocks.append(nn.Conv2d(depth, out, kernel_size, padding=kernel_size // 2,
                                        bias=not batch_norm))
                if batch_norm:
                    blocks.append(nn.BatchNorm2d(out))
                blocks.append(ACTIVATIONS[activation]())
                depth = out
            blocks.append(POOLS[pool](2))
            height, width = height // 2, width // 2
        self.features = nn.Sequential(*blocks)
        self.classifier = nn.Sequential(nn.Flatten(), *_dense_layers(
            depth * height * width, hidden, num_classes, activation, dropout))

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim == 2:
            input = input.reshape(input.shape[0], *self.image_shape)
        return self.classifier(self.features(input))
