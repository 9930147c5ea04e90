"""Training killed at a random step resumes bitwise; changed settings are refused unless forced.

Covered elsewhere: Ctrl-C exits 130 with a resumable checkpoint and --resume finishes the run
(tests/test_cli.py::test_ctrl_c_saves_a_checkpoint_and_resume_finishes); an in-process stop and
resume equals an uninterrupted run (tests/training/test_trainer.py::
test_resume_after_interruption_matches_an_uninterrupted_run); a second Ctrl-C and an exception
leave status.json saying so (tests/training/test_run_lifecycle.py).
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal

import numpy as np
import pytest
from fault_tools import fail_writes, model_arrays, npnn_cli, python

from npnn.training import ConfigError, TrainConfig
from npnn.training import recipe as recipe_module

CONFIG = TrainConfig(hidden=[32], epochs=3, train_subset=1000, batch_size=50, eval_every=7, seed=11,
                     dropout=0.2)  # 20 steps an epoch, 60 in all; checkpoints every 7 steps

TRAIN = """
import sys, time
from npnn.training import TrainConfig, Trainer

class Slow:  # a little time per step, so that the kill lands mid-run; the numbers are unchanged
    def step_done(self, loss):
        time.sleep(0.01)
        print(trainer.position.step, flush=True)

    def __getattr__(self, name):
        return lambda *args, **kwargs: None

trainer = Trainer.create(TrainConfig.from_json(sys.argv[3]), sys.argv[1], run_id=sys.argv[2],
                         reporter=Slow())
print("status", trainer.fit().status, flush=True)
"""


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    process = python(TRAIN, out, "full", CONFIG.to_json())
    stdout, stderr = process.communicate(timeout=120)
    assert "status finished" in stdout, stderr
    return out / "full"


@pytest.mark.parametrize("when", ["random step", "before the first checkpoint"])
def test_sigkill_at_a_step_then_resume_equals_an_uninterrupted_run_bitwise(tmp_path, uninterrupted, when):
    kill_after = random.Random().randint(8, 55) if when == "random step" else 2
    process = python(TRAIN, tmp_path, "cut", CONFIG.to_json())
    for line in process.stdout:
        if line.strip() == str(kill_after):
            process.send_signal(signal.SIGKILL)
            break
    process.communicate()
    assert process.returncode == -signal.SIGKILL, f"the run ended before step {kill_after}"
    run = tmp_path / "cut"
    assert json.loads((run / "status.json").read_text())["status"] == "running"  # no chance to say more

    resumed = npnn_cli("train", "--resume", run, "--quiet", "--no-test")
    assert resumed.returncode == 0, (kill_after, resumed.stderr)
    for name in ("last.safetensors", "best.safetensors"):
        reference, cut = model_arrays(uninterrupted / name), model_arrays(run / name)
        assert reference.keys() == cut.keys()
        for key in reference:
            np.testing.assert_array_equal(cut[key], reference[key], err_msg=f"{name} {key}, killed at "
                                          f"step {kill_after}")
    history = json.loads((run / "history.json").read_text())
    steps = [record["step"] for record in history["records"]]
    assert steps == [7, 14, 20, 21, 28, 35, 40, 42, 49, 56, 60]  # none missing, none twice
    assert (run / "history.json").read_bytes() == (uninterrupted / "history.json").read_bytes()
    log = (run / "train.log").read_text()
    assert ("resumed at step" in log) == (when == "random step")


# ----- resuming with other settings -----


def _main(capsys, *args):
    from npnn.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_a_setting_flag_on_resume_is_refused_unless_forced(interrupted, capsys):
    config = (interrupted / "config.json").read_bytes()
    code, _, err = _main(capsys, "train", "--resume", interrupted, "--lr", "0.01", "--quiet", "--no-test")
    assert code == 2 and "drop --lr (or add --force to change those settings)" in _one_line(err)
    assert (interrupted / "config.json").read_bytes() == config

    code, _, err = _main(capsys, "train", "--resume", interrupted, "--lr", "0.01", "--force", "--quiet",
                         "--no-test")
    assert code == 0, err
    assert "resuming with changed settings (--force): lr 0.001 -> 0.01" in err
    assert TrainConfig.load(interrupted / "config.json").lr == 0.01
    assert json.loads((interrupted / "status.json").read_text())["status"] == "finished"


def test_a_hand_edited_config_is_refused_naming_the_change_unless_forced(interrupted, capsys):
    path = interrupted / "config.json"
    path.write_text(TrainConfig.load(path).replace(lr=0.01, label_smoothing=0.1).to_json())
    code, _, err = _main(capsys, "train", "--resume", interrupted, "--quiet", "--no-test")
    line = _one_line(err)
    assert code == 1 and f"{path} does not match {interrupted / 'last.safetensors'}" in line
    assert "label_smoothing 0.0 -> 0.1; lr 0.001 -> 0.01" in line and "--force" in line
    code, _, err = _main(capsys, "train", "--resume", interrupted, "--force", "--quiet", "--no-test")
    assert code == 0, err


def test_a_moved_data_dir_is_not_a_changed_setting(interrupted, capsys):
    from npnn.data import locate

    path = interrupted / "config.json"
    path.write_text(TrainConfig.load(path).replace(data_dir=str(locate().directory)).to_json())
    code, _, err = _main(capsys, "train", "--resume", interrupted, "--quiet", "--no-test")
    assert code == 0, err


def test_a_forced_change_that_cannot_work_leaves_config_json_as_it_was(interrupted, capsys):
    config = (interrupted / "config.json").read_bytes()
    code, _, err = _main(capsys, "train", "--resume", interrupted, "--hidden", "8", "--force")
    line = _one_line(err)
    assert code == 2 and "--hidden: cannot change on --resume ([16] -> [8])" in line
    assert (interrupted / "config.json").read_bytes() == config
    code, _, err = _main(capsys, "train", "--resume", interrupted, "--lr", "-1", "--force")
    assert code == 2 and "--lr: must be > 0" in _one_line(err)
    assert (interrupted / "config.json").read_bytes() == config


@pytest.mark.parametrize("args, words", [
    (["--force"], "--force only applies to --resume"),
    (["--resume", "RUN", "--force", "--out", "elsewhere"], "drop --out"),
    (["--resume", "RUN", "--force", "--run-id", "x"], "drop --run-id"),
])
def test_force_is_only_for_resuming_in_place(interrupted, capsys, args, words):
    args = [str(interrupted) if a == "RUN" else a for a in args]
    code, _, err = _main(capsys, "train", *args)
    assert code == 2 and words in _one_line(err)


def test_a_forced_change_the_saved_state_cannot_take_is_refused_by_name(interrupted, capsys):
    config = (interrupted / "config.json").read_bytes()
    for flags in (["--batch-size", "1000"], ["--hidden", "8"], ["--activation", "tanh"],
                  ["--optimizer", "sgd"], ["--train-subset", "500"], ["--seed", "6"],
                  ["--regularization", "l2", "--reg-strength", "1e-4"], ["--model", "cnn"],
                  ["--channels", "8"], ["--kernel-size", "5"], ["--cnn-hidden", "64"]):
        code, _, err = _main(capsys, "train", "--resume", interrupted, *flags, "--force", "--quiet")
        line = _one_line(err)
        assert code == 2 and line.startswith(f"npnn train: error: {flags[0]}: cannot change on --resume")
        assert (interrupted / "config.json").read_bytes() == config
    assert json.loads((interrupted / "status.json").read_text())["status"] == "interrupted"


def test_a_hand_edited_fixed_setting_is_refused_even_forced(interrupted, capsys):
    path = interrupted / "config.json"
    path.write_text(TrainConfig.load(path).replace(batch_size=50).to_json())
    code, _, err = _main(capsys, "train", "--resume", interrupted, "--force", "--quiet", "--no-test")
    line = _one_line(err)
    assert code == 1 and f"{path}: batch_size: cannot change on --resume (100 -> 50)" in line


@pytest.mark.parametrize("change", [{"lr": 0.01}, {"epochs": 4}, {"schedule": "constant"},
                                    {"warmup_steps": 5}])
def test_a_forced_change_of_the_optimization_applies_from_the_saved_step(interrupted, tiny_data,
                                                                        tiny_config, change):
    """The README's promise: --force continues with the new settings, e.g. a smaller --lr."""
    from npnn.training import Trainer

    config = tiny_config.replace(**change)
    trainer = Trainer.resume(interrupted, data=tiny_data, force=True, overrides=change)
    fresh = Trainer(config, None, *tiny_data)  # the schedule the new settings give at step 3
    for _ in range(3 if fresh.scheduler is not None else 0):
        fresh.scheduler.step()
    assert trainer.position.step == 3
    for group, expected in zip(trainer.optimizer.param_groups, fresh.optimizer.param_groups, strict=True):
        assert group["lr"] == expected["lr"] and group["initial_lr"] == config.lr
    assert TrainConfig.load(interrupted / "config.json") == config
    assert trainer.fit().status == "finished"


def test_overrides_that_change_a_setting_need_force(interrupted, tiny_data):
    """Trainer.resume owns the forced change: without force it names the setting and changes
    nothing; with it, changed_settings says what config.json now holds."""
    from npnn.training import Trainer

    before = (interrupted / "config.json").read_bytes()
    with pytest.raises(ConfigError, match=r"^lr: differs from .*config.json \(0.001 -> 0.01\)"):
        Trainer.resume(interrupted, data=tiny_data, overrides={"lr": 0.01})
    assert (interrupted / "config.json").read_bytes() == before
    with Trainer.resume(interrupted, data=tiny_data, overrides={"lr": 0.001}) as same:
        assert same.changed_settings == []  # an override equal to config.json changes nothing
    with Trainer.resume(interrupted, data=tiny_data, force=True, overrides={"lr": 0.01}) as trainer:
        assert trainer.changed_settings == ["lr 0.001 -> 0.01"]
    assert TrainConfig.load(interrupted / "config.json").lr == 0.01


# ----- the machine stops training: a full disk, I/O and permission errors, no memory -----

STEPS = ["--hidden", "16", "--epochs", "2", "--train-subset", "300", "--batch-size", "100",
         "--eval-every", "2", "--quiet", "--no-test"]  # 6 steps, evaluated at 2, 3, 4 and 6


def _train_reference(capsys, out):
    code, _, err = _main(capsys, "train", *STEPS, "--out", out, "--run-id", "reference")
    assert code == 0, err
    return out / "reference"


def _same_run(run, reference):
    assert (run / "history.json").read_bytes() == (reference / "history.json").read_bytes()
    for name in ("best.safetensors", "last.safetensors"):
        expected, got = model_arrays(reference / name), model_arrays(run / name)
        assert expected.keys() == got.keys()
        for key in expected:
            np.testing.assert_array_equal(got[key], expected[key], err_msg=f"{name} {key}")


def _temp_files(run):
    return [p.name for p in run.iterdir() if p.name.startswith(".") and p.name != ".lock"]


@pytest.mark.parametrize("name, nth, code", [
    ("last.safetensors", 2, errno.ENOSPC),
    ("best.safetensors", 2, errno.ENOSPC),
    ("history.json", 2, errno.ENOSPC),
    ("status.json", 2, errno.ENOSPC),
    ("train.log", 3, errno.ENOSPC),
    ("last.safetensors", 3, errno.EIO),
    ("history.json", 1, errno.EACCES),
    ("best.safetensors", 1, errno.EROFS),
])
def test_a_write_error_stops_training_resumable_naming_the_file(tmp_path, capsys, monkeypatch, name,
                                                               nth, code):
    reference = _train_reference(capsys, tmp_path)
    run = tmp_path / "r"
    tried = fail_writes(monkeypatch, name, nth, code)
    exit_code, _, err = _main(capsys, "train", *STEPS, "--out", tmp_path, "--run-id", "r")
    line = _one_line(err)
    assert tried[0] >= nth and exit_code == 1, err
    assert f"cannot write {run / name}: {os.strerror(code)}" in line
    assert f"then `npnn train --resume {run}` continues" in line
    status = json.loads((run / "status.json").read_text())  # padded in place if need be: still JSON
    assert status["status"] == "interrupted" and os.strerror(code) in status["reason"]
    assert _temp_files(run) == []

    monkeypatch.undo()  # the disk has room again
    exit_code, _, err = _main(capsys, "train", "--resume", run)
    assert exit_code == 0, err
    assert json.loads((run / "status.json").read_text())["status"] == "finished"
    _same_run(run, reference)


def test_a_full_disk_at_the_first_checkpoint_restarts_the_run_and_keeps_its_best(tmp_path, capsys,
                                                                                 monkeypatch):
    reference = _train_reference(capsys, tmp_path)
    run = tmp_path / "r"
    fail_writes(monkeypatch, "last.safetensors")
    assert _main(capsys, "train", *STEPS, "--out", tmp_path, "--run-id", "r")[0] == 1
    assert not (run / "last.safetensors").exists()
    best = (run / "best.safetensors").read_bytes()
    monkeypatch.undo()

    from npnn.training import Trainer

    stop_early = Trainer.resume(run)  # started again, stopped before it reached the kept best
    assert "starts again from scratch" in stop_early.restarted
    stop_early.request_stop()
    assert stop_early.fit().status == "interrupted"
    assert (run / "best.safetensors").read_bytes() == best

    code, _, err = _main(capsys, "train", "--resume", run)
    assert code == 0, err
    _same_run(run, reference)


def test_a_restarted_run_says_so_once_and_reports_the_best_model_it_kept(tmp_path, capsys, monkeypatch):
    from npnn.serialization import save_file
    from npnn.training import checkpoint

    run = tmp_path / "r"
    fail_writes(monkeypatch, "last.safetensors")
    assert _main(capsys, "train", *STEPS, "--out", tmp_path, "--run-id", "r")[0] == 1
    monkeypatch.undo()
    state, metadata = checkpoint.load_best(run / "best.safetensors")
    kept = {**metadata["evaluation"], "val_accuracy": 0.999}  # a model the new start cannot beat
    save_file(run / "best.safetensors", state, {**metadata, "evaluation": kept})

    code, out, err = _main(capsys, "train", "--resume", run)  # not --quiet: every message shown
    assert code == 0, err
    assert (out + err).count("starts again from scratch") == 1, out + err
    assert f"best validation accuracy 99.90% at step {kept['step']}" in out
    assert json.loads((run / "status.json").read_text())["best"] == kept
    assert json.loads((run / "test.json").read_text())["checkpoint"] == kept  # the model tested


def test_a_full_disk_while_creating_the_run_leaves_nothing(tmp_path, capsys, monkeypatch):
    fail_writes(monkeypatch, "config.json")
    code, _, err = _main(capsys, "train", *STEPS, "--out", tmp_path, "--run-id", "r")
    line = _one_line(err)
    assert code == 1 and "No space left on device" in line and str(tmp_path / "r" / "config.json") in line
    assert not (tmp_path / "r").exists()  # the run id is free for the retry


def test_sizes_that_cannot_be_allocated_are_refused_before_allocating(tmp_path, capsys, monkeypatch):
    from npnn.training import memory

    code, _, err = _main(capsys, "train", "--hidden", str(10**9), "--out", tmp_path)
    assert code == 2 and _one_line(err).startswith("npnn train: error: --hidden: [1000000000] needs about")
    monkeypatch.setattr(memory, "available_bytes", lambda: 2**30)
    code, _, err = _main(capsys, "train", "--hidden", "2048", "--batch-size", str(10**12), "--out", tmp_path)
    assert code == 2 and _one_line(err).startswith(f"npnn train: error: --batch-size: {10**12} needs")
    assert not any(tmp_path.iterdir())


def test_a_run_to_resume_that_no_longer_fits_in_memory_says_to_free_memory(interrupted, capsys,
                                                                          monkeypatch):
    """Its sizes cannot change on --resume, so no setting is blamed, not even with --force."""
    from npnn.training import memory

    config = (interrupted / "config.json").read_bytes()
    monkeypatch.setattr(memory, "available_bytes", lambda: 2**20)
    for flags in ([], ["--force"], ["--force", "--lr", "0.01"]):
        code, _, err = _main(capsys, "train", "--resume", interrupted, *flags, "--quiet", "--no-test")
        line = _one_line(err)
        assert code == 1 and line.startswith(f"npnn train: error: {interrupted} needs about "), flags
        assert "free memory" in line and "hidden" not in line and "batch" not in line
        assert (interrupted / "config.json").read_bytes() == config
        assert json.loads((interrupted / "status.json").read_text())["status"] == "interrupted"
    monkeypatch.undo()
    code, _, err = _main(capsys, "train", "--resume", interrupted, "--quiet", "--no-test")
    assert code == 0, err


def test_running_out_of_memory_at_run_time_is_one_line_and_resumable(tmp_path, capsys, monkeypatch):
    from npnn.training import trainer as trainer_module

    step = trainer_module.Trainer._train_step

    def no_memory_at_step_5(self, images, labels):
        if self.position.step == 4:
            raise MemoryError("Unable to allocate 3 TiB")
        return step(self, images, labels)

    monkeypatch.setattr(trainer_module.Trainer, "_train_step", no_memory_at_step_5)
    code, _, err = _main(capsys, "train", *STEPS, "--out", tmp_path, "--run-id", "r")
    assert code == 1 and "ran out of memory (at step 4)" in _one_line(err)
    assert json.loads((tmp_path / "r" / "status.json").read_text())["status"] == "interrupted"

    def no_memory(config):
        raise MemoryError("Unable to allocate 3 TiB")

    monkeypatch.setattr(recipe_module, "build_model", no_memory)
    code, _, err = _main(capsys, "train", *STEPS, "--out", tmp_path)
    assert code == 1 and "ran out of memory; free memory" in _one_line(err)


# ----- npnn test believes the checkpoint, not a hand-edited config.json -----


def test_npnn_test_refuses_a_config_json_that_no_longer_matches_the_checkpoint(tmp_path, capsys):
    code, _, err = _main(capsys, "train", *STEPS, "--out", tmp_path, "--run-id", "r")
    assert code == 0, err
    run, path = tmp_path / "r", tmp_path / "r" / "config.json"
    assert _main(capsys, "test", run)[0] == 0
    report = (run / "test.json").read_bytes()
    trained = path.read_text()
    path.write_text(TrainConfig.load(path).replace(activation="tanh", standardize=False).to_json())
    code, _, err = _main(capsys, "test", run)
    line = _one_line(err)
    assert code == 1 and f"{path} does not match {run / 'best.safetensors'}" in line
    assert "activation 'relu' -> 'tanh'; standardize True -> False" in line
    assert (run / "test.json").read_bytes() == report

    path.write_text(TrainConfig.from_json(trained).replace(lr=0.5).to_json())  # as --force may
    code, _, err = _main(capsys, "test", run)
    assert code == 0 and (run / "test.json").read_bytes() == report, err


# ----- one process at a time in a run directory -----


def test_a_run_being_trained_is_refused_to_a_second_resume_and_to_npnn_test(interrupted, capsys):
    from npnn.training import Trainer

    first = Trainer.resume(interrupted)  # holds the run until fit() returns
    busy = f"{interrupted} is being trained by process {os.getpid()}; wait for it or stop it"
    code, _, err = _main(capsys, "train", "--resume", interrupted, "--quiet", "--no-test")
    assert code == 1 and _one_line(err) == f"npnn train: error: {busy}"
    code, _, err = _main(capsys, "test", interrupted)
    assert code == 1 and _one_line(err) == f"npnn test: error: {busy}"
    assert not (interrupted / "test.json").exists()
    assert first.fit().status == "finished"
    code, _, err = _main(capsys, "test", interrupted)
    assert code == 0, err

    from npnn.training.run_lock import RunLock

    with RunLock(interrupted, "tested"):
        code, _, err = _main(capsys, "test", interrupted)
    assert code == 1 and "is being tested by process" in _one_line(err)


LOCK_AND_WAIT = """
import sys, time
from npnn.training import Trainer

trainer = Trainer.resume(sys.argv[1])
print("locked", flush=True)
time.sleep(60)
"""


def test_the_lock_of_a_killed_process_is_gone(interrupted):
    holder = python(LOCK_AND_WAIT, interrupted)
    try:
        assert holder.stdout.readline().strip() == "locked", holder.stderr.read()
        second = npnn_cli("train", "--resume", interrupted, "--quiet", "--no-test")
        assert second.returncode == 1
        assert f"is being trained by process {holder.pid}; wait for it or stop it" in second.stderr
    finally:
        holder.kill()
        holder.communicate()
    resumed = npnn_cli("train", "--resume", interrupted, "--quiet", "--no-test")
    assert resumed.returncode == 0, resumed.stderr


# ----- SIGTERM and SIGHUP stop training as Ctrl-C does -----

LONG = ["--hidden", "16", "--epochs", "20", "--train-subset", "2000", "--batch-size", "100",
        "--eval-every", "10", "--quiet", "--no-test"]  # 400 steps


@pytest.fixture(scope="module")
def long_reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("long")
    result = npnn_cli("train", *LONG, "--out", out, "--run-id", "full")
    assert result.returncode == 0, result.stderr
    return out / "full"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_save_a_checkpoint_and_resume_bitwise(tmp_path, long_reference, signum):
    import subprocess
    import sys
    import time

    from fault_tools import ENV

    run = tmp_path / "r"
    process = subprocess.Popen([sys.executable, "-m", "npnn", "train", *LONG, "--out", str(tmp_path),
                                "--run-id", "r"], env=ENV, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and "step 20 " not in _read(run / "train.log"):
        time.sleep(0.01)
    os.kill(process.pid, signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr and f"npnn train --resume {run}" in stderr
    status = json.loads((run / "status.json").read_text())
    assert status["status"] == "interrupted" and 20 <= status["step"] < 400

    resumed = npnn_cli("train", "--resume", run, "--quiet", "--no-test")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((run / "status.json").read_text())["step"] == 400
    _same_run(run, long_reference)


def _read(path):
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


# ----- a signal ignored at the start stays ignored; a hung-up terminal loses no run -----


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGINT], ids=["nohup", "background-job"])
def test_a_stop_signal_ignored_at_the_start_stays_ignored(tmp_path, signum):
    """`nohup npnn train … &` ignores SIGHUP (a logout), a shell's background job SIGINT."""
    import subprocess
    import sys
    import time

    from fault_tools import ENV

    run = tmp_path / "r"
    process = subprocess.Popen([sys.executable, "-m", "npnn", "train", *LONG, "--out", str(tmp_path),
                                "--run-id", "r"], env=ENV, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signum, signal.SIG_IGN))  # as nohup does
    deadline = time.time() + 60
    while time.time() < deadline and "step 20 " not in _read(run / "train.log"):
        time.sleep(0.01)
    os.kill(process.pid, signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    status = json.loads((run / "status.json").read_text())
    assert (status["status"], status["step"]) == ("finished", 400)


class _HungUp:
    """A terminal after a hangup: every write fails with EIO."""

    def write(self, text):
        raise OSError(errno.EIO, "Input/output error")

    def flush(self):
        pass

    def fileno(self):
        import io

        raise io.UnsupportedOperation("fileno")

    def isatty(self):
        return False


def test_a_hangup_after_the_terminal_is_gone_stops_resumable_with_exit_129(tmp_path, monkeypatch):
    """The stop handler printed to the dead terminal: EIO out of the training step, filed as a
    disk fault (exit 1, no checkpoint of the step)."""
    from npnn.cli import main
    from npnn.training import trainer as trainer_module

    step = trainer_module.Trainer._train_step

    def hang_up_at_step_3(self, images, labels):
        if self.position.step == 3:
            os.kill(os.getpid(), signal.SIGHUP)
        return step(self, images, labels)

    monkeypatch.setattr(trainer_module.Trainer, "_train_step", hang_up_at_step_3)
    monkeypatch.setattr("sys.stderr", _HungUp())
    monkeypatch.setattr("sys.stdout", _HungUp())
    assert main(["train", *STEPS, "--out", str(tmp_path), "--run-id", "r"]) == 128 + signal.SIGHUP
    status = json.loads((tmp_path / "r" / "status.json").read_text())
    assert status["status"] == "interrupted" and status["step"] == 4
    assert (tmp_path / "r" / "last.safetensors").exists()
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL  # put back


def test_progress_lines_to_a_hung_up_terminal_do_not_stop_training(monkeypatch):
    from npnn.cli.progress import TqdmReporter

    monkeypatch.setattr("sys.stdout", _HungUp())
    TqdmReporter().message("step 10 ...")  # raised OSError: EIO


def test_a_nameless_io_error_is_the_terminal_not_the_disk():
    from npnn.training.errors import machine_fault

    assert machine_fault(OSError(errno.EIO, "Input/output error")) is None  # a write to the tty
    assert machine_fault(BrokenPipeError(errno.EPIPE, "Broken pipe")) is None
    disk = machine_fault(OSError(errno.EIO, "Input/output error", "r/last.safetensors"))
    assert disk is not None and disk.fix == "check the disk" and disk.filename == "r/last.safetensors"
    memory = machine_fault(MemoryError("Unable to allocate 3 TiB"))
    assert memory is not None and memory.errno == errno.ENOMEM


def test_stop_signals_leave_an_ignored_signal_ignored_and_put_the_others_back():
    from npnn.training.stop_signals import StopSignals

    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        before = signal.getsignal(signal.SIGTERM)
        with StopSignals() as stop:
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is stop
        assert signal.getsignal(signal.SIGTERM) == before
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)
