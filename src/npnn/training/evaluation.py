"""Testing a finished run: the best checkpoint on a held-out split, written to test.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from npnn.serialization import atomic_write_json
from npnn.training.builders import build_model
from npnn.training.checkpoint import load_best
from npnn.training.config import TrainConfig
from npnn.training.metrics import confusion_matrix, evaluate, per_class_accuracy
from npnn.training.run_dir import open_run_dir

SPLITS = ("test", "val")


def test_run(run_path: str | Path, split: str = "test", data_dir: str | None = None) -> dict[str, Any]:
    """Rebuild the model from config.json, load best.safetensors, evaluate on `split`.

    Writes test.json (or val.json for split='val') and returns the same report.
    """
    from npnn.data import CLASS_NAMES, load_fashion_mnist

    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    run = open_run_dir(run_path)
    if not run.best.exists():
        raise FileNotFoundError(f"{run.best} does not exist: the run has not finished an "
                                f"evaluation yet (resume it with `npnn train --resume {run.path}`)")
    config = TrainConfig.load(run.config)
    state, metadata = load_best(run.best)
    model = build_model(config)
    model.load_state_dict(state)
    dataset = load_fashion_mnist(split, data_dir=data_dir or config.data_dir,
                                 standardize=config.standardize, val_split=config.val_split,
                                 seed=config.seed)
    result = evaluate(model, dataset.images, dataset.labels)
    confusion = confusion_matrix(dataset.labels, result.predictions, len(CLASS_NAMES))
    report = {
        "split": split,
        "accuracy": result.accuracy,
        "loss": result.loss,
        "examples": len(dataset),
        "checkpoint": metadata.get("evaluation", {}),
        "classes": list(CLASS_NAMES),
        "per_class_accuracy": dict(zip(CLASS_NAMES, per_class_accuracy(confusion).tolist(), strict=True)),
        "confusion_matrix": confusion.tolist(),
    }
    atomic_write_json(run.test if split == "test" else run.path / "val.json", report)
    return report


test_run.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
