"""Evaluating a run: its best checkpoint on a held-out split, written to test.json or val.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from npnn.models import MLP
from npnn.serialization import CheckpointError, atomic_write_json
from npnn.training.builders import build_model
from npnn.training.checkpoint import load_best
from npnn.training.config import TrainConfig
from npnn.training.datasets import load_split
from npnn.training.metrics import confusion_matrix, evaluate, per_class_accuracy
from npnn.training.run_dir import RunDir, open_run_dir

SPLITS = ("test", "val")


def evaluate_run(run_path: str | Path, split: str = "test", data_dir: str | None = None) -> dict[str, Any]:
    """Rebuild the model from config.json, load best.safetensors, evaluate on `split`.

    Writes test.json (or val.json for split='val') and returns the same report.
    """
    from npnn.data import CLASS_NAMES

    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    model, config, metadata = load_best_model(run_path)
    run = RunDir(Path(run_path))  # load_best_model has opened and checked it
    dataset = load_split(config, split, data_dir=data_dir)
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
    atomic_write_json(run.test if split == "test" else run.val, report)
    return report


def load_best_model(run_path: str | Path) -> tuple[MLP, TrainConfig, dict[str, Any]]:
    """The run's model with its best.safetensors weights, its config and the checkpoint metadata."""
    run = open_run_dir(run_path)
    if not run.best.exists():
        raise FileNotFoundError(f"{run.best} does not exist: the run has not finished an "
                                f"evaluation yet (resume it with `npnn train --resume {run.path}`)")
    config = TrainConfig.load(run.config)
    state, metadata = load_best(run.best)
    model = build_model(config)
    load_weights(model, state, run, run.best)
    return model, config, metadata


def load_weights(model: MLP, state: dict[str, Any], run: RunDir, checkpoint: Path) -> None:
    """`model.load_state_dict(state)`, blaming a mismatch on the run's config.json."""
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise CheckpointError(f"{run.config} does not match {checkpoint} ({error}); put back the "
                              "settings the run was trained with (the model's shape: hidden, "
                              "activation)") from None


test_run = evaluate_run  # the name the search code imports
test_run.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
