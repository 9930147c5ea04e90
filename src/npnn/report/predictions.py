"""A run's best model on the test split: what it predicted for every image, for plots of its mistakes.

Inference only: the checkpoint is loaded, never trained further, and the test split is
prepared exactly as the run's config says (the same standardization as in training).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from npnn import backend
from npnn.report.sources import Run
from npnn.training.evaluation import BestEvaluation, evaluate_best, evaluate_run

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
    return _predictions(evaluate_best(run.path, "test", data_dir))


def test_results(run: Run, data_dir: str | None = None) -> tuple[dict[str, Any], TestPredictions]:
    """The run's test report and predictions from one evaluation of its best checkpoint.

    The report is test.json's where `npnn test` wrote one; otherwise the evaluation's, written
    to test.json as `npnn test` would (under the run's lock) and kept on `run`.
    """
    best = evaluate_best(run.path, "test", data_dir, save=run.test is None)
    if run.test is None:
        run.test = best.report
    return run.test, _predictions(best)


def _predictions(best: BestEvaluation) -> TestPredictions:
    dataset = best.dataset
    return TestPredictions(
        images=display_images(dataset.images, dataset.normalization),
        labels=backend.to_numpy(dataset.labels).astype(np.int64),
        predictions=best.evaluation.predictions.astype(np.int64),
        confidence=best.evaluation.confidence,
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
        run.test = evaluate_run(run.path, "test", data_dir)
    return run.test


test_report.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
test_results.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
