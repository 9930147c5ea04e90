"""Model builders used by the workflow: the original's feed-forward network (MLP)."""

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


class MLP(nn.Module):
    """The original FNN: (Linear, activation[, Dropout]) per hidden layer, Linear, LogSoftmax.

    It returns log-probabilities, so the loss is NLL (equal to cross-entropy on logits).
    Differs from the original: no ReLU on the output layer before LogSoftmax, which clipped
    every negative logit to 0 and kept the network from expressing low class scores.
    """

    def __init__(self, in_features: int = 784, hidden: Sequence[int] = (256,), num_classes: int = 10,
                 activation: str = "relu", dropout: float = 0.0) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}: choose one of {sorted(ACTIVATIONS)}")
        if any(size < 1 for size in hidden):
            raise ValueError(f"hidden sizes must be positive, got {list(hidden)}")
        self.in_features, self.hidden, self.num_classes = in_features, list(hidden), num_classes
        layers: list[nn.Module] = []
        width = in_features
        for size in hidden:
            layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        layers += [nn.Linear(width, num_classes), nn.LogSoftmax(dim=1)]
        self.layers = nn.Sequential(*layers)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim > 2:
            input = input.flatten(1)
        return self.layers(input)
