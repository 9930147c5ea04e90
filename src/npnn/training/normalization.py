"""How a run's input pixels are scaled: stored with its best model, recomputed for older runs.

A consumer of the model (`npnn predict`, an exported ONNX file) must prepare new images exactly
as training did, x = (byte / 255 - mean) / std, and should not need the training data for it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from npnn.data import Normalization
from npnn.serialization import CheckpointError
from npnn.training.config import TrainConfig
from npnn.training.datasets import load_split

NAMES = ("unit", "standardize")


def run_normalization(best: str | Path, metadata: dict[str, Any], config: TrainConfig,
                      data_dir: str | None = None) -> Normalization:
    """The normalization in a best checkpoint's `metadata`; for a checkpoint saved before runs
    kept it, recomputed from the training split the config names (which needs the data)."""
    saved = metadata.get("normalization")
    if saved is None:
        return load_split(config, "test", data_dir=data_dir, subset=1).normalization
    if not valid_normalization(saved):
        raise CheckpointError(f"{best}: damaged normalization in its metadata ({saved!r}); "
                              "retrain the run or delete the field to recompute it from the data")
    return Normalization(saved["name"], float(saved["mean"]), float(saved["std"]))


def valid_normalization(saved: Any) -> bool:
    """Whether `saved` is a Normalization's dict: a known name, a finite mean, a positive std."""
    if not isinstance(saved, dict):
        return False
    mean, std = saved.get("mean"), saved.get("std")
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                  for v in (mean, std))
    return set(saved) == {"name", "mean", "std"} and saved["name"] in NAMES and numbers and std > 0
