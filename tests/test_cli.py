"""The `npnn` command end to end, on the real data, in fresh processes."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

import npnn

QUICK = ["--hidden", "32", "--epochs", "3", "--train-subset", "2000", "--quiet"]


def npnn_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "npnn", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_version_and_help():
    assert npnn.__version__ in npnn_cli("--version").stdout
    result = npnn_cli()
    assert result.returncode == 0 and "train" in result.stdout and "test" in result.stdout


def test_data_command_finds_and_verifies_the_real_files():
    result = npnn_cli("data")
    assert result.returncode == 0, result.stderr
    assert "checksums verified" in result.stdout
    assert "test   10000 images, 1000-1000 per class" in result.stdout


def test_train_then_test_on_real_data(tmp_path):
    result = npnn_cli("train", *QUICK, "--out", tmp_path, "--run-id", "quick")
    assert result.returncode == 0, result.stderr
    run = tmp_path / "quick"
    assert "test accuracy:" in result.stdout and str(run) in result.stdout
    report = json.loads((run / "test.json").read_text())
    assert report["examples"] == 10000 and report["accuracy"] > 0.6

    tested = npnn_cli("test", run)
    assert tested.returncode == 0, tested.stderr
    assert "per-class accuracy:" in tested.stdout and "Ankle boot" in tested.stdout
    assert "confusion matrix" in tested.stdout
    again = json.loads((run / "test.json").read_text())
    assert again["accuracy"] == report["accuracy"]
    assert sum(map(sum, again["confusion_matrix"])) == 10000


def test_config_file_with_flag_overrides(tmp_path):
    (tmp_path / "c.json").write_text(json.dumps({"hidden": [16], "lr": 0.01, "epochs": 3}))
    result = npnn_cli("train", "--config", tmp_path / "c.json", "--epochs", "1", "--train-subset", "500",
                      "--quiet", "--no-test", "--out", tmp_path, "--run-id", "c")
    assert result.returncode == 0, result.stderr
    config = json.loads((tmp_path / "c" / "config.json").read_text())
    assert (config["hidden"], config["lr"], config["epochs"]) == ([16], 0.01, 1)


@pytest.mark.parametrize("args, flag", [
    (["--lr", "-1"], "--lr"),
    (["--batch-size", "0"], "--batch-size"),
    (["--hidden"], "--hidden"),
    (["--optimizer", "rmsprop"], "--optimizer"),
    (["--epochs", "two"], "--epochs"),
    (["--regularization", "l2"], "--reg-strength"),
])
def test_invalid_arguments_exit_2_with_one_line(tmp_path, args, flag):
    result = npnn_cli("train", *args, "--out", tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir())  # nothing was created


def test_test_command_on_a_folder_that_is_not_a_run(tmp_path):
    result = npnn_cli("test", tmp_path)
    assert result.returncode == 1
    assert "not a run directory" in result.stderr and "Traceback" not in result.stderr


def test_ctrl_c_saves_a_checkpoint_and_resume_finishes(tmp_path):
    args = ["train", "--hidden", "32", "--epochs", "30", "--train-subset", "3000", "--eval-every", "10",
            "--no-test", "--out", tmp_path, "--run-id", "r"]
    process = subprocess.Popen([sys.executable, "-m", "npnn", *map(str, args)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    log = tmp_path / "r" / "train.log"
    deadline = time.time() + 60
    while time.time() < deadline and (not log.exists() or "step 20 " not in log.read_text()):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    status = json.loads((tmp_path / "r" / "status.json").read_text())
    assert status["status"] == "interrupted" and status["step"] < 30 * 24

    resumed = npnn_cli("train", "--resume", tmp_path / "r", "--quiet", "--no-test")
    assert resumed.returncode == 0, resumed.stderr
    status = json.loads((tmp_path / "r" / "status.json").read_text())
    assert status["status"] == "finished" and status["step"] == 30 * 24  # 3000 images in batches of 128
