"""A run's best model on the test split: what it predicted for every image, for plots of its mistakes.

Inference only: the checkpoint is loaded, never trained further, and the test split is
prepared exactly as the run's config says (the same standardization as in training).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from npnn.report.sources import Run

IMAGE_SIDE = 28


@dataclass
class TestPredictions:
    """Every test image (N, 28, 28) uint8 as stored on disk, its label, the model's prediction
    and the softmax probability of that prediction."""

    __test__ = False  # not a pytest test class

    images: np.ndarray
    labels: np.ndarray
    predictions: np.ndarray
    confidence: np.ndarray
    class_names: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def misclassified(self) -> np.ndarray:
        """Indices of the images the model got wrong, in file order."""
        return np.flatnonzero(self.predictions != self.labels)

    @property
    def accuracy(self) -> float:
        return float((self.predictions == self.labels).mean()) if len(self) else 0.0


def predict_test(run: Run, data_dir: str | None = None) -> TestPredictions:
    """Run the best checkpoint of `run` over the test split, in eval mode and without a graph."""
    from npnn import backend
    from npnn.autograd.grad_mode import no_grad
    from npnn.tensor import Tensor
    from npnn.training.builders import build_model
    from npnn.training.checkpoint import load_best
    from npnn.training.datasets import load_split
    from npnn.training.evaluation import load_weights
    from npnn.training.metrics import EVAL_BATCH_SIZE
    from npnn.training.run_dir import open_run_dir

    run_dir = open_run_dir(run.path)
    if not run_dir.best.exists():
        raise FileNotFoundError(f"{run_dir.best} does not exist: the run has not finished an "
                                f"evaluation yet (resume it with `npnn train --resume {run.path}`)")
    state, _ = load_best(run_dir.best)
    model = build_model(run.config)
    load_weights(model, state, run_dir, run_dir.best)
    dataset = load_split(run.config, "test", data_dir=data_dir)
    model.eval()
    predictions, confidence = [], []
    # same batches, argmax and error handling as metrics.evaluate, so the accuracies agree exactly
    with no_grad(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for start in range(0, len(dataset), EVAL_BATCH_SIZE):
            log_probs = backend.to_numpy(model(Tensor(dataset.images[start:start + EVAL_BATCH_SIZE])).data)
            predictions.append(log_probs.argmax(axis=1))
            confidence.append(np.exp(log_probs.max(axis=1)).astype(np.float64))
    empty = np.zeros(0)
    return TestPredictions(
        images=display_images(dataset.images, dataset.normalization),
        labels=backend.to_numpy(dataset.labels).astype(np.int64),
        predictions=np.concatenate(predictions or [empty]).astype(np.int64),
        confidence=np.minimum(np.concatenate(confidence or [empty]), 1.0),
        class_names=list(dataset.class_names),
    )


def display_images(images: np.ndarray, normalization: Any | None) -> np.ndarray:
    """The original bytes back from normalized float images: byte = round(255 (x std + mean)).

    Exact, since x was one float32 rounding of (byte / 255 - mean) / std. Without a
    normalization, each image is min/max scaled instead.
    """
    flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    if normalization is not None:
        pixels = (flat * normalization.std + normalization.mean) * 255.0
    else:
        low, high = flat.min(axis=1, keepdims=True), flat.max(axis=1, keepdims=True)
        pixels = (flat - low) / np.where(high > low, high - low, 1.0) * 255.0
    return np.clip(np.rint(pixels), 0, 255).astype(np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)


def test_report(run: Run, data_dir: str | None = None) -> dict[str, Any]:
    """The run's test.json (written by `npnn test`); if missing, computed, written and kept on `run`."""
    if run.test is None:
        from npnn.training.evaluation import evaluate_run

        run.test = evaluate_run(run.path, "test", data_dir)
    return run.test


test_report.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
