"""Trainer on real Fashion-MNIST: run directory, resume equivalence, determinism, divergence."""

import gc
import json
import types

import numpy as np
from stopping_reporter import StopAfter

import npnn
from npnn.training import Trainer
from npnn.training.evaluation import test_run as evaluate_run


def _weights(path):
    return npnn.load(path)


def test_fit_writes_a_complete_run_directory(tmp_path, small_data, quick_config):
    trainer = Trainer.create(quick_config, tmp_path, run_id="r", data=small_data)
    result = trainer.fit()
    run = tmp_path / "r"
    assert result.status == "finished" and result.steps == 40
    assert {p.name for p in run.iterdir()} >= {"config.json", "history.json", "train.log",
                                               "best.safetensors", "last.safetensors", "status.json"}
    history = json.loads((run / "history.json").read_text())
    steps = [r["step"] for r in history["records"]]
    assert steps == [7, 14, 20, 21, 28, 35, 40]  # every 7 steps and at both epoch ends
    assert history["valid_metric"] == [r["val_accuracy"] for r in history["records"]]
    assert max(history["valid_metric"]) > 0.7  # real data, 40 steps of a small MLP
    assert json.loads((run / "status.json").read_text())["status"] == "finished"
    assert "val_acc" in (run / "train.log").read_text()


def _arrays_held_by(objects):
    """Arrays that `objects` hold through containers (the collector tracks neither arrays nor
    dicts of arrays); functions are not followed, as their globals reach everything."""
    found, seen, stack = [], set(), list(objects)
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            found.append(item)
        elif isinstance(item, (dict, list, tuple, set, types.CellType)):
            stack.extend(gc.get_referents(item))
    return found


def test_training_leaves_no_arrays_in_reference_cycles(tmp_path, small_data, quick_config):
    """Arrays in a cycle live until the garbage collector runs, so the memory of a long run
    would grow with every step or checkpoint that made one (it did, ~8 MiB per saved epoch)."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds stays in gc.garbage, to inspect
    try:
        Trainer.create(quick_config, tmp_path, run_id="r", data=small_data).fit()
        gc.collect()
        cyclic_arrays = _arrays_held_by(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert cyclic_arrays == []


def test_best_checkpoint_holds_the_best_validation_model(tmp_path, small_data, quick_config):
    Trainer.create(quick_config, tmp_path, run_id="r", data=small_data).fit()
    history = json.loads((tmp_path / "r" / "history.json").read_text())
    report = evaluate_run(tmp_path / "r", "val")
    # the full val split differs from the 2,000-image one used in training, so compare loosely
    assert abs(report["accuracy"] - max(history["valid_metric"])) < 0.05
    assert report["checkpoint"]["val_accuracy"] == max(history["valid_metric"])
    assert np.array(report["confusion_matrix"]).sum() == 12000


def test_evaluation_reads_the_validation_split_the_config_holds_out(tmp_path, small_data, quick_config):
    config = quick_config.replace(val_fraction=0.1, epochs=1)
    Trainer.create(config, tmp_path, run_id="r", data=small_data).fit()
    assert np.array(evaluate_run(tmp_path / "r", "val")["confusion_matrix"]).sum() == 6000


def test_same_seed_gives_identical_history(tmp_path, small_data, quick_config):
    for name in ("a", "b"):
        Trainer.create(quick_config, tmp_path, run_id=name, data=small_data).fit()
    assert (tmp_path / "a" / "history.json").read_bytes() == (tmp_path / "b" / "history.json").read_bytes()
    for key, value in _weights(tmp_path / "a" / "best.safetensors").items():
        np.testing.assert_array_equal(value, _weights(tmp_path / "b" / "best.safetensors")[key])


def test_resume_after_interruption_matches_an_uninterrupted_run(tmp_path, small_data, quick_config):
    Trainer.create(quick_config, tmp_path, run_id="full", data=small_data).fit()

    stopper = StopAfter(13)  # mid-epoch, between evaluations
    trainer = Trainer.create(quick_config, tmp_path, run_id="cut", reporter=stopper, data=small_data)
    stopper.trainer = trainer
    first = trainer.fit()
    assert first.status == "interrupted" and first.steps == 13
    assert json.loads((tmp_path / "cut" / "status.json").read_text())["status"] == "interrupted"

    second = Trainer.resume(tmp_path / "cut", data=small_data).fit()
    assert second.status == "finished" and second.steps == 40
    full = _weights(tmp_path / "full" / "last.safetensors")
    cut = _weights(tmp_path / "cut" / "last.safetensors")
    for key in full["model"]:
        np.testing.assert_array_equal(cut["model"][key], full["model"][key])
    history = [(tmp_path / name / "history.json").read_bytes() for name in ("full", "cut")]
    assert history[0] == history[1]


class _BlowUpAfter(StopAfter):
    """Sets an absurd learning rate after `steps` steps, so the loss becomes non-finite."""

    def step_done(self, loss):
        self.steps -= 1
        if self.steps == 0:
            for group in self.trainer.optimizer.param_groups:
                group["lr"] = 1e12


def test_divergence_stops_the_run_and_keeps_the_best_checkpoint(tmp_path, small_data, quick_config):
    config = quick_config.replace(optimizer="sgd", momentum=0.0, lr=0.1, schedule="constant")
    reporter = _BlowUpAfter(8)  # after the first evaluation (step 7) wrote best.safetensors
    trainer = Trainer.create(config, tmp_path, run_id="d", reporter=reporter, data=small_data)
    reporter.trainer = trainer
    best = tmp_path / "d" / "best.safetensors"
    original = None

    def remember(record, improved):
        nonlocal original
        original = best.read_bytes()

    reporter.evaluated = remember
    result = trainer.fit()
    assert result.status == "diverged"
    status = json.loads((tmp_path / "d" / "status.json").read_text())
    assert status["status"] == "diverged" and "non-finite" in status["reason"]
    assert original is not None and best.read_bytes() == original


def test_early_stopping_after_patience_evaluations(tmp_path, small_data, quick_config):
    config = quick_config.replace(lr=1e-7, patience=2, epochs=5, eval_every=3)
    result = Trainer.create(config, tmp_path, run_id="e", data=small_data).fit()
    assert result.status == "early_stopped"
    history = json.loads((tmp_path / "e" / "history.json").read_text())["valid_metric"]
    best = history.index(max(history))
    assert len(history) - 1 - best == 2
