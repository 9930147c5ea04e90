"""Evaluating a run: its best checkpoint on a held-out split, written to test.json or val.json."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from npnn.data import CLASS_NAMES, ArrayDataset
from npnn.serialization import CheckpointError, atomic_write_json
from npnn.training.checkpoint import FIXED_SETTINGS, describe_changes, fixed_changes, load_best
from npnn.training.config import ConfigError, TrainConfig
from npnn.training.datasets import load_split
from npnn.training.metrics import Evaluation, confusion_matrix, evaluate, per_class_accuracy
from npnn.training.recipe import Model, build_model
from npnn.training.run_dir import RunDir, open_run_dir
from npnn.training.run_lock import RunLock

SPLITS = ("test", "val")


@dataclass
class BestEvaluation:
    """The best checkpoint on one split: the report test.json (or val.json) holds, the split it
    ran on (images as the model saw them) and its Evaluation (every example's predicted class
    and that prediction's probability)."""

    report: dict[str, Any]
    dataset: ArrayDataset
    evaluation: Evaluation


def evaluate_best(run_path: str | Path, split: str = "test", data_dir: str | None = None,
                  save: bool = False) -> BestEvaluation:
    """Rebuild the model best.safetensors was saved from, load it once and evaluate it once on
    `split`: metrics and per-example predictions together, so no caller evaluates twice.

    With `save`, as `npnn test`: under the run's lock (RunBusyError while another process
    trains it), and the report is written to test.json (val.json for split='val'). A config.json
    that no longer matches the checkpoint is a CheckpointError, and nothing is written then.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if not save:
        return _evaluate_best(run_path, split, data_dir)
    with RunLock(open_run_dir(run_path).path, "tested"):
        best = _evaluate_best(run_path, split, data_dir)
        run = RunDir(Path(run_path))  # load_best_model has opened and checked it
        atomic_write_json(run.test if split == "test" else run.val, best.report)
    return best


def _evaluate_best(run_path: str | Path, split: str, data_dir: str | None) -> BestEvaluation:
    model, config, metadata = load_best_model(run_path)
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
    return BestEvaluation(report, dataset, result)


def evaluate_run(run_path: str | Path, split: str = "test", data_dir: str | None = None) -> dict[str, Any]:
    """`npnn test`: `evaluate_best(..., save=True)`'s report, written to test.json or val.json."""
    return evaluate_best(run_path, split, data_dir, save=True).report


def load_best_model(run_path: str | Path) -> tuple[Model, TrainConfig, dict[str, Any]]:
    """The run's model with its best.safetensors weights, its config and the checkpoint metadata.

    The config in the checkpoint is the one the model was trained with: it rebuilds the model,
    and config.json must agree with it on every FIXED_SETTINGS field (CheckpointError listing
    the differences otherwise). Only data_dir is taken from config.json (the data may move).
    """
    run = open_run_dir(run_path)
    if not run.best.exists():
        raise FileNotFoundError(f"{run.best} does not exist: the run has not finished an "
                                f"evaluation yet (resume it with `npnn train --resume {run.path}`)")
    config = TrainConfig.load(run.config)
    state, metadata = load_best(run.best)
    config = _trained_config(config, metadata.get("config"), run)
    model = build_model(config)
    load_weights(model, state, run, run.best)
    return model, config, metadata


def _trained_config(config: TrainConfig, saved: Any, run: RunDir) -> TrainConfig:
    """`saved` (the checkpoint's settings) with config.json's data_dir, after checking that
    config.json agrees with it where it matters; `config` alone for a checkpoint without one."""
    if not isinstance(saved, dict):
        return config
    current = config.to_dict()
    changed = describe_changes(saved, current, fixed_changes(saved, current))
    if changed:
        raise CheckpointError(f"{run.config} does not match {run.best}: the settings changed since "
                              f"the model was saved ({'; '.join(changed)}); put them back")
    fixed = {name: value for name, value in saved.items() if name in FIXED_SETTINGS}
    try:
        return TrainConfig.from_dict({**current, **fixed})
    except (ConfigError, TypeError) as error:
        raise CheckpointError(f"{run.best}: damaged settings in its metadata ({error})") from None


def load_weights(model: Model, state: dict[str, Any], run: RunDir, checkpoint: Path) -> None:
    """`model.load_state_dict(state)`, blaming a mismatch on the run's config.json."""
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise CheckpointError(f"{run.config} does not match {checkpoint} ({error}); put back the "
                              "settings the run was trained with (the model's shape: model, "
                              "hidden or channels, kernel_size, cnn_hidden, batch_norm)") from None


test_run = evaluate_run  # the name the search code imports
test_run.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
