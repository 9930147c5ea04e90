"""A run keeps how its pixels were scaled with its best model, so new images need no data."""

import pytest

from npnn.data import load_fashion_mnist
from npnn.serialization import CheckpointError, load_file, save_file
from npnn.training import Trainer
from npnn.training.checkpoint import load_best
from npnn.training.evaluation import load_best_model
from npnn.training.normalization import run_normalization


def test_the_best_checkpoint_keeps_the_training_normalization(tmp_path, small_data, quick_config):
    Trainer.create(quick_config.replace(epochs=1), tmp_path, run_id="r", data=small_data).fit()
    _, metadata = load_best(tmp_path / "r" / "best.safetensors")
    stats = load_fashion_mnist("test", standardize=True, subset=1).normalization
    assert metadata["normalization"] == stats.to_dict()
    assert stats.name == "standardize" and 0.2 < stats.mean < 0.4
    _, config, metadata = load_best_model(tmp_path / "r")
    assert run_normalization(tmp_path / "r" / "best.safetensors", metadata, config) == stats


def test_an_older_checkpoint_recomputes_it_and_a_damaged_one_is_refused(tmp_path, small_data, quick_config):
    Trainer.create(quick_config.replace(epochs=1), tmp_path, run_id="r", data=small_data).fit()
    best = tmp_path / "r" / "best.safetensors"
    state, metadata = load_file(best)
    stored = metadata.pop("normalization")
    _, config, _ = load_best_model(tmp_path / "r")
    assert run_normalization(best, metadata, config).to_dict() == stored  # from the data
    unit = run_normalization(best, metadata, config.replace(standardize=False))
    assert (unit.name, unit.mean, unit.std) == ("unit", 0.0, 1.0)
    for damaged in ({"name": "standardize", "mean": 0.3, "std": 0}, {"name": "other", "mean": 0, "std": 1},
                    "standardize", {"name": "unit", "mean": float("nan"), "std": 1}):
        save_file(best, state, {**metadata, "normalization": damaged})
        with pytest.raises(CheckpointError, match="damaged normalization"):
            run_normalization(best, load_file(best)[1], config)
