"""Training killed at a random step resumes bitwise; changed settings are refused unless forced.

Covered elsewhere: Ctrl-C exits 130 with a resumable checkpoint and --resume finishes the run
(tests/test_cli.py::test_ctrl_c_saves_a_checkpoint_and_resume_finishes); an in-process stop and
resume equals an uninterrupted run (tests/training/test_trainer.py::
test_resume_after_interruption_matches_an_uninterrupted_run); a second Ctrl-C and an exception
leave status.json saying so (tests/training/test_run_lifecycle.py).
"""

from __future__ import annotations

import json
import random
import signal

import numpy as np
import pytest
from fault_tools import model_arrays, npnn_cli, python

from npnn.training import TrainConfig

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
    path.write_text(TrainConfig.load(path).replace(lr=0.01, batch_size=50).to_json())
    code, _, err = _main(capsys, "train", "--resume", interrupted, "--quiet", "--no-test")
    line = _one_line(err)
    assert code == 1 and f"{path} does not match {interrupted / 'last.safetensors'}" in line
    assert "batch_size 100 -> 50; lr 0.001 -> 0.01" in line and "--force" in line
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
    assert code == 1 and "does not match" in line and "size mismatch for layers.0.weight" in line
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
