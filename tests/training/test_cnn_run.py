"""The CNN in the workflow on real Fashion-MNIST: it learns, and resumes bit for bit (augmented)."""

import json

import numpy as np
from stopping_reporter import StopAfter

import npnn
from npnn.models import CNN
from npnn.training import Trainer
from npnn.training.evaluation import load_best_model

# small enough for a few seconds on NumPy: one 8-channel block, a 32-unit dense layer
CNN_SETTINGS = {"model": "cnn", "channels": [8], "cnn_hidden": [32], "hidden": [64]}


def test_a_short_cnn_run_learns(tmp_path, small_data, quick_config):
    config = quick_config.replace(**CNN_SETTINGS, epochs=1, eval_every=0, lr=3e-3)
    result = Trainer.create(config, tmp_path, run_id="cnn", data=small_data).fit()
    assert result.status == "finished" and result.steps == 20
    assert result.best.val_accuracy > 0.6  # 10 classes: chance is 0.1
    model, loaded, _ = load_best_model(tmp_path / "cnn")
    assert isinstance(model, CNN) and loaded.model == "cnn"
    assert "training CNN channels [8]" in (tmp_path / "cnn" / "train.log").read_text()


def test_resumed_augmented_cnn_run_equals_an_uninterrupted_one(tmp_path, small_data, quick_config):
    config = quick_config.replace(**CNN_SETTINGS, epochs=2, eval_every=0, augment=True, augment_shift=3,
                                  augment_flip=True, augment_erase=0.5)
    Trainer.create(config, tmp_path, run_id="full", data=small_data).fit()
    stopper = StopAfter(13)  # mid-epoch
    trainer = Trainer.create(config, tmp_path, run_id="cut", reporter=stopper, data=small_data)
    stopper.trainer = trainer
    assert trainer.fit().status == "interrupted"
    second = Trainer.resume(tmp_path / "cut", data=small_data).fit()
    assert second.status == "finished" and second.steps == 40
    full = npnn.load(tmp_path / "full" / "last.safetensors")
    cut = npnn.load(tmp_path / "cut" / "last.safetensors")
    assert "features.0.weight" in full["model"]
    for key in full["model"]:
        np.testing.assert_array_equal(cut["model"][key], full["model"][key])
    history = [(tmp_path / name / "history.json").read_bytes() for name in ("full", "cut")]
    assert history[0] == history[1]
    assert json.loads((tmp_path / "cut" / "config.json").read_text())["augment_erase"] == 0.5
