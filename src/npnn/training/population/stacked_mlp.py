"""`StackedMLP`: K MLPs of one layout as (K, out, in) weights, trained by hand-written batched
forward and backward passes.

The arithmetic is the single run's, op for op (training/recipe.py's MLP through npnn's
autograd: Linear, ReLU, LogSoftmax, NLL with optional label smoothing), so that each member
computes what its own run would, to float32 rounding of the batched matrix products.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from npnn.models import MLP


class StackedMLP:
    """Weights (K, out, in) and biases (K, out) of K MLPs with the same layer sizes."""

    def __init__(self, weights: list[np.ndarray], biases: list[np.ndarray]) -> None:
        self.weights, self.biases = weights, biases

    @classmethod
    def from_models(cls, models: Sequence[MLP]) -> StackedMLP:
        """The members' current parameters, copied into stacked arrays."""
        linears = [_linears(model) for model in models]
        weights = [np.stack([layers[i].weight.array for layers in linears]) for i in range(len(linears[0]))]
        biases = [np.stack([layers[i].bias.array for layers in linears]) for i in range(len(linears[0]))]
        return cls(weights, biases)

    @property
    def size(self) -> int:
        return self.weights[0].shape[0]

    def parameters(self) -> list[np.ndarray]:
        """In the order of `model.parameters()`: weight, bias of each layer."""
        return [array for pair in zip(self.weights, self.biases, strict=True) for array in pair]

    def write_to(self, member: int, model: MLP) -> None:
        """Copy member `member`'s parameters into `model` (its run's own MLP)."""
        for layer, weight, bias in zip(_linears(model), self.weights, self.biases, strict=True):
            np.copyto(layer.weight.array, weight[member])
            np.copyto(layer.bias.array, bias[member])

    def keep(self, members: np.ndarray) -> None:
        """Drop every member not in `members` (indices, in order)."""
        self.weights = [np.ascontiguousarray(w[members]) for w in self.weights]
        self.biases = [np.ascontiguousarray(b[members]) for b in self.biases]

    def parts(self, elements: int) -> list[slice]:
        """The population cut into runs of members whose parameters total about `elements`
        (at least one member each): a step runs part by part, so that each part's weights,
        gradients and Adam moments stay in the cache between its passes."""
        if not self.size:
            return []
        per_member = sum(array[0].size for array in self.parameters())
        size = max(1, elements // per_member)
        return [slice(start, start + size) for start in range(0, self.size, size)]

    def loss_and_grads(self, images: np.ndarray, labels: np.ndarray, label_smoothing: float = 0.0,
                       part: slice = slice(None)) -> tuple[np.ndarray, list[np.ndarray]]:
        """The mean loss of members `part` on their batches (`images` (k, B, in), `labels`
        (k, B)) and the gradients of their `parameters()`, as the single run's autograd computes
        them."""
        activations, masks = [images], []
        hidden = images
        last = len(self.weights) - 1
        weights = [weight[part] for weight in self.weights]
        biases = [bias[part] for bias in self.biases]
        for i, (weight, bias) in enumerate(zip(weights, biases, strict=True)):
            out = np.matmul(hidden, weight.transpose(0, 2, 1))  # x @ W.T per member
            out += bias[:, None, :]
            if i < last:
                positive = out > 0
                hidden = np.maximum(out, out.dtype.type(0))
                masks.append(positive)
                activations.append(hidden)
            else:
                hidden = out
        log_probs = _log_softmax(hidden)
        count = labels.shape[1]
        divisor = log_probs.dtype.type(count)
        members, rows = np.arange(labels.shape[0])[:, None], np.arange(count)[None, :]
        if label_smoothing:
            q = _smoothed_one_hot(labels, log_probs.shape[2], log_probs.dtype, label_smoothing)
            losses = -(q * log_probs).sum(axis=2)
        else:
            losses = -log_probs[members, rows, labels]
        loss = losses.sum(axis=1) / divisor
        scale = log_probs.dtype.type(1) / divisor
        if label_smoothing:
            grad = -scale * q
        else:
            grad = np.zeros_like(log_probs)
            grad[members, rows, labels] = -1
            grad *= scale
        # LogSoftmax: g - exp(out) * Σ g
        grad = grad - np.exp(log_probs) * grad.sum(axis=2, keepdims=True)
        grads: list[np.ndarray] = []
        for i in range(last, -1, -1):
            weight, x = weights[i], activations[i]
            grads.append(grad.sum(axis=1))  # bias
            grads.append(np.matmul(grad.transpose(0, 2, 1), x))  # weight: g.T @ x
            if i > 0:
                grad = np.matmul(grad, weight)
                grad *= masks[i - 1]
        grads.reverse()
        return loss, grads


def _linears(model: MLP) -> list:
    return [layer for layer in model.layers if hasattr(layer, "weight")]


def _log_softmax(a: np.ndarray) -> np.ndarray:
    shifted = a - a.max(axis=2, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))


def _smoothed_one_hot(labels: np.ndarray, classes: int, dtype: np.dtype, smoothing: float) -> np.ndarray:
    """As ops/loss.py's: (1 - ε)·one_hot + ε/C, with its rounding."""
    dtype = np.dtype(dtype)
    smooth = dtype.type(smoothing / classes)
    q = np.full((*labels.shape, classes), smooth, dtype=dtype)
    members, rows = np.arange(labels.shape[0])[:, None], np.arange(labels.shape[1])[None, :]
    q[members, rows, labels] = dtype.type(1.0 - smoothing) + smooth
    return q
