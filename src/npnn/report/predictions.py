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
    from npnn.training.datasets import load_split
    from npnn.training.evaluation import load_best_model
    from npnn.training.metrics import evaluate

    model, config, _ = load_best_model(run.path)
    dataset = load_split(config, "test", data_dir=data_dir)
    result = evaluate(model, dataset.images, dataset.labels)  # as `npnn test`, so accuracies agree
    return TestPredictions(
        images=display_images(dataset.images, dataset.normalization),
        labels=backend.to_numpy(dataset.labels).astype(np.int64),
        predictions=result.predictions.astype(np.int64),
        confidence=result.confidence,
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
