"""Resume refusals, status.json on every way out of fit(), and the run directory's bookkeeping."""

import errno
import json
import math
import os
import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from npnn.serialization import CheckpointError
from npnn.training import ConfigError, ResumeError, RunCompleteError, TrainConfig, Trainer, checkpoint
from npnn.training import trainer as trainer_module
from npnn.training.datasets import load_split
from npnn.training.evaluation import evaluate_run
from npnn.training.history import EvalRecord, History
from npnn.training.metrics import evaluate
from npnn.training.run_dir import RunDir
from npnn.training.run_lock import RunLock


class _Hook:
    """A reporter that calls `action(trainer)` after `steps` steps."""

    def __init__(self, steps, action):
        self.steps, self.action, self.trainer = steps, action, None

    def step_done(self, loss):
        self.steps -= 1
        if self.steps == 0:
            self.action(self.trainer)

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def _start(config, tmp_path, data, run_id, steps=None, action=None):
    reporter = _Hook(steps, action) if steps else None
    trainer = Trainer.create(config, tmp_path, run_id=run_id, reporter=reporter, data=data)
    if reporter is not None:
        reporter.trainer = trainer
    return trainer


def _status(tmp_path, run_id):
    return json.loads((tmp_path / run_id / "status.json").read_text())


def test_resuming_a_finished_run_refuses_to_train_more(tmp_path, small_data, quick_config):
    _start(quick_config, tmp_path, small_data, "r").fit()
    with pytest.raises(RunCompleteError, match=r"already complete \(finished at step 40"):
        Trainer.resume(tmp_path / "r", data=small_data)


def test_resuming_a_diverged_run_is_refused(tmp_path, small_data, quick_config):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "config.json").write_text(quick_config.to_json())
    (tmp_path / "d" / "status.json").write_text('{"status": "diverged", "step": 12}')
    with pytest.raises(ResumeError, match="diverged at step 12; start a new run with a smaller --lr"):
        Trainer.resume(tmp_path / "d", data=small_data)


def test_resume_without_last_checkpoint_starts_again_and_keeps_the_best(tmp_path, small_data,
                                                                         quick_config):
    first = _start(quick_config, tmp_path, small_data, "r", 10, lambda t: t.request_stop())
    first.fit()
    (tmp_path / "r" / "last.safetensors").unlink()
    # a best that this short run cannot beat: it must survive the new start
    record = {**asdict(first.history.best), "val_accuracy": 0.999}
    checkpoint.save_best(tmp_path / "r" / "best.safetensors", first.model, quick_config.to_dict(), record)
    best = (tmp_path / "r" / "best.safetensors").read_bytes()
    trainer = Trainer.resume(tmp_path / "r", data=small_data)
    assert trainer.position.step == 0 and "starts again from scratch" in trainer.restarted
    assert "(validation accuracy 99.90% at step 7) is kept until a better model" in trainer.restarted
    assert trainer.fit().status == "finished"
    assert "last.safetensors is missing (status 'interrupted')" in (tmp_path / "r" / "train.log").read_text()
    assert (tmp_path / "r" / "best.safetensors").read_bytes() == best

    _start(quick_config, tmp_path, small_data, "fresh")  # status 'created', never trained
    assert Trainer.resume(tmp_path / "fresh", data=small_data).position.step == 0


def test_an_error_between_create_and_fit_releases_the_run(tmp_path, small_data, quick_config):
    for open_run in (lambda: Trainer.create(quick_config, tmp_path, run_id="r", data=small_data),
                     lambda: Trainer.resume(tmp_path / "r", data=small_data)):
        with pytest.raises(RuntimeError) as failure, open_run() as trainer:
            raise RuntimeError("an error before fit()")
        # the trainer is still referred to (here, and by the traceback), the run is free all the same
        assert trainer.run.path == tmp_path / "r" and failure.traceback
        RunLock(tmp_path / "r", "tested").release()
    with Trainer.resume(tmp_path / "r", data=small_data) as trainer:
        assert trainer.fit().status == "finished"


def test_a_restarted_run_reports_the_best_model_it_kept_also_after_an_interruption(tmp_path, small_data,
                                                                                    quick_config):
    first = _start(quick_config, tmp_path, small_data, "r", 10, lambda t: t.request_stop())
    first.fit()
    (tmp_path / "r" / "last.safetensors").unlink()
    kept = {**asdict(first.history.best), "val_accuracy": 0.999}
    checkpoint.save_best(tmp_path / "r" / "best.safetensors", first.model, quick_config.to_dict(), kept)
    hook = _Hook(12, lambda t: t.request_stop())
    hook.trainer = Trainer.resume(tmp_path / "r", reporter=hook, data=small_data)
    assert hook.trainer.restarted and hook.trainer.fit().status == "interrupted"
    result = Trainer.resume(tmp_path / "r", data=small_data).fit()  # from last.safetensors now
    assert result.status == "finished"
    assert asdict(result.best) == kept and _status(tmp_path, "r")["best"] == kept
    assert f"best val_acc {kept['val_accuracy']:.4f}" in (tmp_path / "r" / "train.log").read_text()


def test_resume_reads_each_checkpoint_once(tmp_path, small_data, quick_config, monkeypatch):
    _start(quick_config, tmp_path, small_data, "r", 10, lambda t: t.request_stop()).fit()
    reads, load_file = [], checkpoint.load_file

    def counted(path):
        reads.append(Path(path).name)
        return load_file(path)

    monkeypatch.setattr(checkpoint, "load_file", counted)
    Trainer.resume(tmp_path / "r", data=small_data).release()
    assert reads == ["last.safetensors"]
    reads.clear()
    (tmp_path / "r" / "last.safetensors").unlink()
    assert Trainer.resume(tmp_path / "r", data=small_data).restarted  # keeps best.safetensors
    assert reads == ["best.safetensors"]


def test_an_exception_in_fit_leaves_status_failed_with_the_reason(tmp_path, small_data, quick_config):
    def bug(trainer):
        raise ZeroDivisionError("a bug")

    trainer = _start(quick_config, tmp_path, small_data, "f", 9, bug)
    with pytest.raises(ZeroDivisionError):
        trainer.fit()
    status = _status(tmp_path, "f")
    assert status["status"] == "failed" and "ZeroDivisionError: a bug" in status["reason"]
    assert status["step"] == 9 and "--resume" in status["reason"]  # a checkpoint exists from step 7


def test_a_full_disk_in_fit_leaves_status_interrupted_not_failed(tmp_path, small_data, quick_config):
    def disk_full(trainer):
        raise OSError(28, "No space left on device")

    trainer = _start(quick_config, tmp_path, small_data, "f", 9, disk_full)
    with pytest.raises(trainer_module.TrainingStoppedError, match="continues from its last checkpoint"):
        trainer.fit()
    status = _status(tmp_path, "f")
    assert status["status"] == "interrupted" and "No space left" in status["reason"]
    assert Trainer.resume(tmp_path / "f", data=small_data).position.step == 7


def test_a_second_ctrl_c_leaves_status_interrupted(tmp_path, small_data, quick_config):
    def abort(trainer):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _start(quick_config, tmp_path, small_data, "k", 3, abort).fit()
    assert _status(tmp_path, "k")["status"] == "interrupted"


def test_a_stop_requested_on_the_last_step_still_finishes(tmp_path, small_data, quick_config):
    result = _start(quick_config, tmp_path, small_data, "r", 40, lambda t: t.request_stop()).fit()
    assert result.status == "finished" and result.steps == 40
    assert _status(tmp_path, "r")["status"] == "finished"


def test_resume_logs_it_and_never_turns_the_clock_back(tmp_path, small_data, quick_config):
    _start(quick_config, tmp_path, small_data, "r", 10, lambda t: t.request_stop()).fit()
    status = _status(tmp_path, "r")
    status["seconds"] = 1000.0  # e.g. a crash long after the last checkpoint
    (tmp_path / "r" / "status.json").write_text(json.dumps(status))
    hook = _Hook(1, lambda t: t.request_stop())
    trainer = Trainer.resume(tmp_path / "r", reporter=hook, data=small_data)
    hook.trainer = trainer
    trainer.fit()
    assert _status(tmp_path, "r")["seconds"] >= 1000.0
    assert "resumed at step 10 from last.safetensors" in (tmp_path / "r" / "train.log").read_text()


def test_a_config_that_no_longer_matches_the_checkpoints_names_both_files(tmp_path, small_data,
                                                                           quick_config):
    _start(quick_config, tmp_path, small_data, "r", 10, lambda t: t.request_stop()).fit()
    (tmp_path / "r" / "config.json").write_text(quick_config.replace(hidden=[32]).to_json())
    with pytest.raises(CheckpointError, match=r"config\.json does not match .*last\.safetensors"):
        Trainer.resume(tmp_path / "r", data=small_data)
    with pytest.raises(CheckpointError, match=r"config\.json does not match .*best\.safetensors"):
        evaluate_run(tmp_path / "r", "test")


def test_a_hand_broken_run_config_names_the_file(tmp_path, small_data, quick_config):
    _start(quick_config, tmp_path, small_data, "r", 10, lambda t: t.request_stop()).fit()
    values = json.loads((tmp_path / "r" / "config.json").read_text())
    (tmp_path / "r" / "config.json").write_text(json.dumps({**values, "lr": -1}))
    with pytest.raises(ConfigError, match=r"r/config\.json: lr: must be > 0"):
        Trainer.resume(tmp_path / "r", data=small_data)


def test_relative_data_dir_is_stored_resolved(tmp_path, small_data, quick_config, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _start(quick_config.replace(data_dir="data"), tmp_path, small_data, "r")
    stored = json.loads((tmp_path / "r" / "config.json").read_text())["data_dir"]
    assert stored == str(tmp_path / "data")


def test_a_taken_run_id_is_refused_before_loading_data(tmp_path, quick_config, monkeypatch):
    (tmp_path / "r").mkdir()

    def too_slow(config):
        raise AssertionError("the data was loaded before checking the run id")

    monkeypatch.setattr(trainer_module, "load_datasets", too_slow)
    with pytest.raises(FileExistsError, match="already exists"):
        Trainer.create(quick_config, tmp_path, run_id="r")


def test_a_train_subset_larger_than_the_split_is_a_config_error():
    with pytest.raises(ConfigError) as error:
        load_split(TrainConfig(), "train", subset=10**6)
    assert error.value.field == "train_subset" and "48000" in str(error.value)


def test_evaluating_a_diverged_model_prints_no_numpy_warnings(small_data, quick_config):
    trainer = Trainer(quick_config, None, *small_data)
    for parameter in trainer.model.parameters():
        parameter.array[...] = 1e30
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = evaluate(trainer.model, small_data[1].images, small_data[1].labels)
    assert not math.isfinite(result.loss)


def test_history_with_a_non_finite_loss_is_strict_json_and_reads_back(tmp_path):
    history = History([EvalRecord(step=1, epoch=0.5, train_loss=0.7, val_loss=float("inf"),
                                  val_accuracy=0.1, lr=1e-3)])
    history.save(tmp_path / "h.json")
    text = (tmp_path / "h.json").read_text()
    assert "Infinity" not in text and json.loads(text)["records"][0]["val_loss"] is None
    assert np.isnan(History.load(tmp_path / "h.json").records[0].val_loss)


# ----- status.json rewritten in place on a full disk -----

REASON = ("cannot write /runs/r/last.safetensors: No space left on device at step 9; "
          "`npnn train --resume /runs/r` continues from the last checkpoint (step 7)")


def test_status_rewritten_in_place_survives_short_writes(tmp_path, monkeypatch):
    run = RunDir(tmp_path)
    run.write_status("running", step=0, seconds=0.0, note="x" * 300)
    real_write = os.write

    def short(descriptor, data):
        return real_write(descriptor, bytes(data[:7]))  # as a write interrupted by a signal may

    monkeypatch.setattr(os, "write", short)
    run.overwrite_status("interrupted", step=9, seconds=1.5, reason=REASON)
    monkeypatch.undo()
    assert run.read_status() == {"status": "interrupted", "step": 9, "seconds": 1.5, "reason": REASON}


def test_status_rewritten_in_place_needs_no_new_block(tmp_path):
    run = RunDir(tmp_path)
    run.write_status("running", step=0, seconds=0.0)
    info = run.status.stat()
    allocated = max(info.st_size, info.st_blocks * 512)
    reason = REASON + " and more" * 1000
    run.overwrite_status("interrupted", step=9, epoch=1, seconds=12.345, reason=reason)
    assert run.status.stat().st_size <= allocated  # within the blocks it had: none needed
    status = run.read_status()
    assert {**status, "reason": ""} == {"status": "interrupted", "step": 9, "epoch": 1,
                                        "seconds": 12.345, "reason": ""}
    assert status["reason"].startswith(REASON) and status["reason"].endswith("...")

    run.overwrite_status("interrupted", **{f"field{i}": i for i in range(allocated)})
    assert run.read_status() == {"status": "interrupted"}  # the status at least
    assert run.status.stat().st_size <= allocated


def test_a_write_failing_part_way_through_a_rewrite_puts_the_old_status_back(tmp_path, monkeypatch):
    run = RunDir(tmp_path)
    run.write_status("running", step=0, seconds=0.0, note="x" * 300)
    old = run.status.read_bytes()
    calls, real_write = [], os.write

    def fail_second(descriptor, data):
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(descriptor, bytes(data[:5]))
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(descriptor, data)

    monkeypatch.setattr(os, "write", fail_second)
    with pytest.raises(OSError, match="No space left"):
        run.overwrite_status("interrupted", step=9, seconds=1.5, reason=REASON)
    monkeypatch.undo()
    assert run.status.read_bytes() == old
