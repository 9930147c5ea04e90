"""The `npnn` command end to end, on the real data, in fresh processes."""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import npnn
from npnn.cli import build_parser

QUICK = ["--hidden", "32", "--epochs", "3", "--train-subset", "2000", "--quiet"]


def npnn_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "npnn", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_version_and_help():
    assert npnn.__version__ in npnn_cli("--version").stdout
    result = npnn_cli()
    assert result.returncode == 0 and "train" in result.stdout and "test" in result.stdout


def test_the_cli_loads_no_training_or_search_until_a_command_needs_it(capsys):
    """`npnn --help` paid for importing all of npnn.training and npnn.search (for one default)."""
    loaded = subprocess.run([sys.executable, "-c", "import sys, npnn.cli; "
                             "print(sorted(m for m in sys.modules if m.startswith(('npnn.training', "
                             "'npnn.search'))))"], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
    # nor plotting or search libraries for a command that does not plot or search, even to report an error
    heavy = ("matplotlib", "optuna", "sqlalchemy", "npnn.report", "npnn.search")
    script = ("import sys\nfrom npnn.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n"
              f"    pass\nprint(sorted(m for m in sys.modules if m.startswith({heavy!r})))")
    missing = ["data", "--data-dir", "/nonexistent", "--no-download"]  # an error to report
    for argv in (["--help"], ["data", "--no-download"], missing):
        loaded = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True)
        assert loaded.stdout.strip().splitlines()[-1] == "[]", (argv, loaded.stdout, loaded.stderr)
    from npnn.cli import main
    from npnn.search.study import MAX_GRID

    with pytest.raises(SystemExit):
        main(["search", "--help"])
    assert f"(default: {MAX_GRID:,})" in " ".join(capsys.readouterr().out.split())


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


def test_train_a_cnn_then_test_it(tmp_path):
    result = npnn_cli("train", "--model", "cnn", "--channels", "4", "--cnn-hidden", "16", "--epochs", "1",
                      "--no-batch-norm", "--dropout", "0.2",  # a tiny CNN: not the default CNN's
                      "--train-subset", "500", "--batch-size", "25", "--lr", "0.003", "--augment",
                      "--augment-erase", "0.3", "--quiet", "--no-test", "--out", tmp_path, "--run-id", "cnn")
    assert result.returncode == 0, result.stderr
    config = json.loads((tmp_path / "cnn" / "config.json").read_text())
    assert (config["model"], config["channels"], config["augment_erase"]) == ("cnn", [4], 0.3)
    tested = npnn_cli("test", tmp_path / "cnn")
    assert tested.returncode == 0, tested.stderr
    assert json.loads((tmp_path / "cnn" / "test.json").read_text())["accuracy"] > 0.3  # chance: 0.1


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
    (["--model", "cnn", "--kernel-size", "4"], "--kernel-size"),
    (["--model", "cnn", "--channels", "8", "8", "8", "8", "8"], "--channels"),
    (["--model", "transformer"], "--model"),
    (["--augment-erase", "0.5"], "--augment-erase"),  # without --augment
    (["--batch-norm"], "--batch-norm"),  # batch norm is for the CNN; the MLP has none
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


# ----- user errors: one line, the right exit status, no traceback (in-process: quick) -----

TINY = ["--hidden", "16", "--epochs", "1", "--train-subset", "500", "--quiet", "--no-test"]


def run_main(capsys, *args):
    from npnn.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_resume_of_a_finished_run_says_so_and_exits_0(tmp_path, capsys):
    assert run_main(capsys, "train", *TINY, "--out", tmp_path, "--run-id", "r")[0] == 0
    log = (tmp_path / "r" / "train.log").read_text()
    code, out, _ = run_main(capsys, "train", "--resume", tmp_path / "r")
    assert code == 0 and "already complete" in out and len(out.strip().splitlines()) == 1
    assert (tmp_path / "r" / "train.log").read_text() == log  # nothing trained


def test_resume_of_a_diverged_run_exits_1(tmp_path, capsys):
    assert run_main(capsys, "train", *TINY, "--out", tmp_path, "--run-id", "r")[0] == 0
    (tmp_path / "r" / "status.json").write_text('{"status": "diverged", "step": 3}')
    code, _, err = run_main(capsys, "train", "--resume", tmp_path / "r")
    assert code == 1 and "diverged at step 3; start a new run with a smaller --lr" in err


def test_resume_without_last_checkpoint_starts_again_and_says_so(tmp_path, capsys):
    assert run_main(capsys, "train", *TINY, "--out", tmp_path, "--run-id", "r")[0] == 0
    (tmp_path / "r" / "status.json").write_text('{"status": "interrupted", "step": 2}')
    (tmp_path / "r" / "last.safetensors").unlink()
    best = (tmp_path / "r" / "best.safetensors").read_bytes()
    code, _, err = run_main(capsys, "train", "--resume", tmp_path / "r")
    assert code == 0 and "last.safetensors is missing (status 'interrupted')" in err
    assert "starts again from scratch" in err
    assert (tmp_path / "r" / "best.safetensors").read_bytes() == best  # the same seed, the same model


@pytest.mark.parametrize("flags, named", [
    (["--out", "elsewhere"], "--out"),
    (["--run-id", "x"], "--run-id"),
    (["--lr", "0.1"], "--lr"),
])
def test_resume_with_other_run_settings_exits_2(tmp_path, capsys, flags, named):
    code, _, err = run_main(capsys, "train", "--resume", tmp_path, *flags)
    assert code == 2 and named in err and "--resume" in err


def test_out_that_is_a_file_and_run_id_that_is_a_path_exit_2(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    code, _, err = run_main(capsys, "train", *TINY, "--out", tmp_path / "file")
    assert code == 2 and "--out" in err and "is a file" in err
    code, _, err = run_main(capsys, "train", *TINY, "--out", tmp_path, "--run-id", "x/y")
    assert code == 2 and "--run-id" in err and not (tmp_path / "x").exists()


def test_train_subset_larger_than_the_split_exits_2_naming_the_flag(tmp_path, capsys):
    code, _, err = run_main(capsys, "train", "--train-subset", "100000", "--out", tmp_path)
    assert code == 2 and err.startswith("npnn train: error: --train-subset:") and "48000" in err
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("settings, expected", [
    ({"hidden": 5}, "c.json: hidden: must be a list"),
    ({"hidden": None}, "c.json: hidden: must be a list"),
    ({"hiden": [10]}, "c.json: hiden: unknown setting; did you mean 'hidden'?"),
    ({"lr": -1}, "c.json: lr: must be > 0"),
])
def test_config_file_errors_name_the_file_and_field(tmp_path, capsys, settings, expected):
    (tmp_path / "c.json").write_text(json.dumps(settings))
    code, _, err = run_main(capsys, "train", "--config", tmp_path / "c.json", "--out", tmp_path)
    assert code == 2 and expected in err and "--lr" not in err


def test_a_flag_overriding_a_bad_file_value_is_blamed_as_the_flag(tmp_path, capsys):
    (tmp_path / "c.json").write_text(json.dumps({"lr": 0.1}))
    code, _, err = run_main(capsys, "train", "--config", tmp_path / "c.json", "--lr", "-1", "--out", tmp_path)
    assert code == 2 and "--lr: must be > 0" in err


def test_test_command_on_a_broken_run_config_exits_1_naming_it(tmp_path, capsys):
    assert run_main(capsys, "train", *TINY, "--out", tmp_path, "--run-id", "r")[0] == 0
    config = tmp_path / "r" / "config.json"
    good = config.read_text()
    config.write_text(good.replace('"lr": 0.001', '"lr": -1'))
    code, _, err = run_main(capsys, "test", tmp_path / "r")
    assert code == 1 and f"{config}: lr: must be > 0" in err
    config.write_text(json.dumps({**json.loads(good), "hidden": [8]}))
    code, _, err = run_main(capsys, "test", tmp_path / "r")
    assert code == 1 and f"{config} does not match {tmp_path / 'r' / 'best.safetensors'}" in err


def test_a_corrupt_file_in_data_dir_exits_1_naming_it(tmp_path, capsys):
    import gzip
    import shutil

    source = Path("/usr/share/datasets/fashion-mnist")
    if not source.is_dir():
        pytest.skip("needs the Debian package's Fashion-MNIST files")
    for path in source.iterdir():
        shutil.copy(path, tmp_path / path.name)
    labels = bytearray(gzip.decompress((source / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    labels[-1] = (labels[-1] + 1) % 10  # a valid label, the wrong bytes
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(labels)))
    code, _, err = run_main(capsys, "data", "--data-dir", tmp_path)
    assert code == 1 and "t10k-labels-idx1-ubyte.gz" in err and "SHA-256" in err


def test_npnn_debug_shows_the_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "npnn", "test", str(tmp_path)], capture_output=True,
                            text=True, env={**os.environ, "NPNN_DEBUG": "1"})
    assert result.returncode == 1 and "Traceback" in result.stderr and "not a run directory" in result.stderr


def test_train_says_how_the_run_ended_once(tmp_path):
    """The Trainer's closing log line went to stdout as well as the command's own summary."""
    result = npnn_cli("train", "--hidden", "16", "--epochs", "2", "--train-subset", "300", "--no-test",
                      "--out", tmp_path, "--run-id", "r")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines if line.startswith("finished")] == ["finished:"]
    assert sum("val_acc" in line for line in lines) == 2  # each epoch's evaluation is still shown
    assert "finished after" in (tmp_path / "r" / "train.log").read_text()  # the log keeps its line


def _parsers(parser):
    """`npnn` and every (sub)subcommand's parser."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):  # aliases once
                yield from _parsers(sub)


def test_every_option_says_its_default_once():
    """train's flags said "(default: search, then download) (default: None)"; argparse's own
    defaults were missing from some commands' help."""
    for parser in _parsers(build_parser()):
        text = parser.format_help()
        assert "(default: None)" not in text, parser.prog
        entries = re.split(r"\n(?=  -)", text)
        for entry in entries:
            assert entry.count("default") <= 1, (parser.prog, entry)
        for action in parser._actions:
            if action.option_strings and action.nargs != 0 and action.default is not None:
                entry = next(e for e in entries if e.lstrip().startswith(action.option_strings[0]))
                assert "default" in entry, (parser.prog, entry)


TRAIN_TINY = ["train", "--hidden", "8", "--epochs", "1", "--train-subset", "300", "--no-test",
              "--run-id", "r"]


@pytest.mark.parametrize("args", [["data"], ["test", "missing"], TRAIN_TINY])
def test_a_reader_that_goes_away_ends_the_command_quietly(args, tmp_path):
    """`npnn data | head -1`: no 'Broken pipe' error and no exit 1, but 141 (128 + SIGPIPE) and
    nothing on stderr, as Unix tools end. The pipe is closed before npnn writes anything. (--help
    and --version: argparse itself ignores a closed stdout and exits 0.)"""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([sys.executable, "-m", "npnn", *args], stdout=write_end,
                                stderr=subprocess.PIPE, text=True, timeout=120, cwd=tmp_path,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    finally:
        os.close(write_end)
    if args == ["test", "missing"]:  # an error goes to stderr, which is still there: unchanged
        assert result.returncode == 1 and "missing is not a run directory" in result.stderr
        return
    if args == TRAIN_TINY:  # the run is not lost to its progress lines: it trains to the end, exit 0
        status = json.loads((tmp_path / "runs" / "r" / "status.json").read_text())
        assert (result.returncode, result.stderr, status["status"]) == (0, "", "finished")
        return
    assert (result.returncode, result.stderr) == (141, "")


def test_the_confusion_matrix_labels_every_row_and_column(capsys):
    """`npnn test` printed the class numbers in an unlabeled last column."""
    from npnn.cli.test_command import print_report

    report = {"split": "test", "accuracy": 0.5, "examples": 8, "loss": 1.0, "classes": ["Cat", "Dog"],
              "per_class_accuracy": {"Cat": 0.75, "Dog": 0.25}, "confusion_matrix": [[3, 1], [3, 1]]}
    print_report(report)
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("confusion matrix"))
    assert "rows: true class" in lines[start] and "columns: predicted class" in lines[start]
    header, *rows = (line.split() for line in lines[start + 1:])
    assert header == ["true", "\\", "predicted", "0", "1"]  # a label over every column
    assert rows == [["0", "Cat", "3", "1"], ["1", "Dog", "3", "1"]]  # a label and one count per column
