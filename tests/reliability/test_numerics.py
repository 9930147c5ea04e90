"""Extreme logits stay finite and exact; a NaN/inf loss stops the run as diverged or skips the step.

Covered elsewhere: divergence from an absurd learning rate keeps best.safetensors byte for byte
(tests/training/test_trainer.py::test_divergence_stops_the_run_and_keeps_the_best_checkpoint),
a diverged run is not resumed (tests/training/test_run_lifecycle.py::
test_resuming_a_diverged_run_is_refused) and its history is strict JSON
(test_history_with_a_non_finite_loss_is_strict_json_and_reads_back).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from fault_tools import TINY, model_arrays

import npnn
import npnn.nn.functional as F
from npnn.training import Trainer
from npnn.training.recipe import Recipe

EXTREME = np.array([
    [1e4, -1e4, 0.0, 5.0, -3.0],  # ±1e4 in one row
    [-1e4, -1e4, -1e4, -1e4, -1e4],  # all very negative, equal
    [-1e4, -1e4 + 1, -1e4 + 2, -1e4 + 3, -1e4 + 4],  # all very negative, distinct
    [1e4, 1e4, 1e4, 1e4, 1e4],  # all very positive
    [-1e30, -1e30, -1e30, -1e30, 0.0],  # one sane logit among hugely negative ones
    [-1e4, 1e4, -1e4, 1e4, -1e4],  # ties at the top
])
TARGETS = np.array([1, 0, 4, 2, 3, 1])


def _log_softmax64(logits: np.ndarray) -> np.ndarray:
    x = logits.astype(np.float64)
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_of_extreme_logits_is_finite_and_matches_float64(dtype):
    logits = EXTREME.astype(dtype)
    out = F.log_softmax(npnn.tensor(logits), dim=1).array
    assert out.dtype == dtype and np.isfinite(out).all()
    np.testing.assert_allclose(out, _log_softmax64(logits), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(npnn.nn.LogSoftmax(dim=1)(npnn.tensor(logits)).array, out)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_and_its_gradient_on_extreme_logits_match_float64(dtype, smoothing):
    logits = npnn.tensor(EXTREME.astype(dtype), requires_grad=True)
    loss = F.cross_entropy(logits, npnn.tensor(TARGETS), label_smoothing=smoothing)
    loss.backward()
    log_probs = _log_softmax64(EXTREME.astype(dtype))
    classes = EXTREME.shape[1]
    target = np.full(EXTREME.shape, smoothing / classes)
    target[np.arange(len(TARGETS)), TARGETS] += 1 - smoothing
    expected = -(target * log_probs).sum(axis=1).mean()
    assert math.isfinite(loss.item()) and np.isfinite(logits.grad).all()
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    expected_grad = (np.exp(log_probs) - target) / len(TARGETS)
    np.testing.assert_allclose(logits.grad, expected_grad, rtol=1e-5, atol=1e-7)


# ----- a non-finite loss in the middle of training -----

def _poison(monkeypatch, steps):
    """Make the training loss NaN at the given (1-based) steps; return the calls seen."""
    real = Recipe.loss
    seen = {"calls": 0}

    def poisoned(recipe, log_probs, labels):
        seen["calls"] += 1
        loss = real(recipe, log_probs, labels)
        return loss * float("nan") if seen["calls"] in steps else loss

    monkeypatch.setattr(Recipe, "loss", poisoned)
    return seen


def test_a_nan_loss_mid_training_stops_the_run_as_diverged_and_keeps_the_best_checkpoint(
        tmp_path, tiny_data, tiny_config, monkeypatch):
    trainer = Trainer.create(tiny_config, tmp_path, run_id="d", data=tiny_data)
    run = tmp_path / "d"
    _poison(monkeypatch, {5})  # evaluations at steps 2 and 4 wrote both checkpoints
    saved = {}
    real_save = trainer._evaluate_and_save

    def evaluate_and_save():
        stop = real_save()
        saved.update({name: (run / f"{name}.safetensors").read_bytes() for name in ("best", "last")})
        return stop

    trainer._evaluate_and_save = evaluate_and_save
    result = trainer.fit()
    assert result.status == "diverged" and result.steps == 5
    status = json.loads((run / "status.json").read_text())
    assert status["status"] == "diverged" and "non-finite at step 5" in status["reason"]
    assert (run / "best.safetensors").read_bytes() == saved["best"]  # intact, byte for byte
    assert (run / "last.safetensors").read_bytes() == saved["last"]  # the step-4 state, finite
    assert all(np.isfinite(a).all() for a in model_arrays(run / "last.safetensors").values())


def test_a_diverged_run_continues_from_its_last_checkpoint_only_when_forced(tmp_path, tiny_data, tiny_config,
                                                                           monkeypatch, capsys):
    from npnn.cli import main

    _poison(monkeypatch, {5})
    assert Trainer.create(tiny_config, tmp_path, run_id="d", data=tiny_data).fit().status == "diverged"
    monkeypatch.undo()
    run = tmp_path / "d"
    assert main(["train", "--resume", str(run), "--quiet", "--no-test"]) == 1
    assert "diverged at step 5" in capsys.readouterr().err
    assert main(["train", "--resume", str(run), "--force", "--lr", "1e-4", "--quiet", "--no-test"]) == 0
    assert "lr 0.001 -> 0.0001" in capsys.readouterr().err
    assert json.loads((run / "status.json").read_text())["status"] == "finished"
    history = json.loads((run / "history.json").read_text())
    assert [r["step"] for r in history["records"]] == [2, 4, 6, 8, 10, 12]  # from step 4 on, once


def test_skip_mode_skips_only_the_non_finite_steps_and_finishes(tmp_path, tiny_data, tiny_config,
                                                                monkeypatch):
    config = tiny_config.replace(on_nonfinite="skip")
    _poison(monkeypatch, {5, 8})
    result = Trainer.create(config, tmp_path, run_id="s", data=tiny_data).fit()
    run = tmp_path / "s"
    assert result.status == "finished" and result.steps == 12
    log = (run / "train.log").read_text()
    assert "step 5: the loss is nan; skipped" in log and "step 8: the loss is nan; skipped" in log
    assert log.count("skipped") == 2
    history = json.loads((run / "history.json").read_text())
    assert [r["step"] for r in history["records"]] == [2, 4, 6, 8, 10, 12]
    assert all(math.isfinite(loss) for loss in history["train_loss"])
    assert all(np.isfinite(a).all() for a in model_arrays(run / "best.safetensors").values())
    assert all(np.isfinite(a).all() for a in model_arrays(run / "last.safetensors").values())
    assert result.best.val_accuracy > 0.3  # it went on learning


def test_skip_mode_still_stops_when_a_whole_epoch_is_non_finite(tmp_path, tiny_data, tiny_config,
                                                                 monkeypatch):
    config = tiny_config.replace(on_nonfinite="skip")
    _poison(monkeypatch, set(range(3, 100)))
    result = Trainer.create(config, tmp_path, run_id="s", data=tiny_data).fit()
    assert result.status == "diverged" and result.steps == 2 + 6  # six skipped steps in a row


def test_a_skipped_step_changes_no_weight_and_no_optimizer_state(
        tmp_path, tiny_data, tiny_config, monkeypatch):
    """A skipped step changes nothing: no update, and the optimizer state is untouched."""
    config = tiny_config.replace(on_nonfinite="skip", epochs=1, eval_every=0, dropout=0.0)
    trainer = Trainer.create(config, tmp_path, run_id="s", data=tiny_data)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    _poison(monkeypatch, {1})
    images, labels = next(iter(trainer.loader))
    assert math.isnan(trainer._train_step(images, labels))
    for key, value in trainer.model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    assert trainer.optimizer.state_dict()["state"] == {}


def test_the_on_nonfinite_flag_reaches_the_run_config(tmp_path, capsys):
    from npnn.cli import main
    from npnn.training import TrainConfig

    assert main(["train", *TINY, "--on-nonfinite", "skip", "--out", str(tmp_path), "--run-id", "r"]) == 0
    assert TrainConfig.load(tmp_path / "r" / "config.json").on_nonfinite == "skip"
