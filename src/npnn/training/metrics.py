"""Evaluation metrics: loss and accuracy over a dataset, confusion matrix, per-class accuracy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from npnn import backend
from npnn._tensor import Tensor
from npnn.autograd.grad_mode import no_grad
from npnn.nn import functional as F
from npnn.nn.module import Module

EVAL_BATCH_SIZE = 2000


@dataclass
class Evaluation:
    """Mean NLL, accuracy, and the predicted class of every example with its probability."""

    loss: float
    accuracy: float
    predictions: np.ndarray
    confidence: np.ndarray


def evaluate(model: Module, images: Any, labels: Any, batch_size: int = EVAL_BATCH_SIZE) -> Evaluation:
    """Run the model in eval mode over all examples, in large batches and without a graph."""
    was_training = model.training
    model.eval()
    total_loss, predictions, top_log_probs = 0.0, [], []
    try:
        # a diverging model overflows here too; its loss shows as inf/nan without warnings
        with no_grad(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for start in range(0, len(labels), batch_size):
                log_probs = model(Tensor(images[start:start + batch_size]))
                target = Tensor(labels[start:start + batch_size])
                total_loss += float(F.nll_loss(log_probs, target, reduction="sum").item())
                predictions.append(backend.to_numpy(log_probs.array.argmax(axis=1)))
                top_log_probs.append(backend.to_numpy(log_probs.array.max(axis=1)))
    finally:
        model.train(was_training)
    predicted = np.concatenate(predictions) if predictions else np.zeros(0, dtype=np.int64)
    confidence = np.minimum(np.exp(np.concatenate(top_log_probs).astype(np.float64)), 1.0) \
        if top_log_probs else np.zeros(0)
    truth = backend.to_numpy(labels)
    count = max(len(truth), 1)
    return Evaluation(total_loss / count, float((predicted == truth).sum()) / count, predicted, confidence)


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """counts[true, predicted], built with one bincount."""
    flat = labels.astype(np.int64) * num_classes + predictions.astype(np.int64)
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """Recall of each class: diagonal over row sums (nan for a class with no examples)."""
    totals = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(confusion) / totals
