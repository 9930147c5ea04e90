"""Every subcommand with missing, malformed and out-of-range arguments, paths that do not exist or
are not what they should be (a folder, a FIFO, a file, a run or search directory of the wrong kind)
and damaged run directories: exit status 2 (usage) or 1 (run time), exactly one line on stderr, no
traceback; `npnn --debug` and NPNN_DEBUG=1 add the traceback.

Covered elsewhere: train's flag table (tests/test_cli.py::test_invalid_arguments_exit_2_with_one_line),
--config errors naming file and field, resume refusals, a corrupt data file
(test_a_corrupt_file_in_data_dir_exits_1_naming_it), report and plot paths
(tests/report/test_report_cli.py::test_bad_paths_and_arguments_give_one_line), search argument errors
(tests/search/test_search_cli.py::test_search_argument_errors_are_one_line).
The one message that is several lines on purpose: Fashion-MNIST found nowhere, which lists every
place looked in and the two ways to get the data.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil

import pytest
from fault_tools import ENV, TINY, npnn_cli

from npnn.cli import main
from npnn.search import SearchOptions, run_search
from npnn.search.space import Param, SearchSpace


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    """A folder holding a finished run, a search, and paths of every wrong kind."""
    root = tmp_path_factory.mktemp("cli")
    assert main(["train", *TINY, "--out", str(root), "--run-id", "run"]) == 0
    space = SearchSpace([Param("lr", (0.01,))], fixed={"hidden": [8], "epochs": 1, "train_subset": 200,
                                                       "batch_size": 100}, sampler="grid")
    run_search(SearchOptions(out=root / "search", space=space, space_source="cli-test"))
    (root / "file.txt").write_text("not what anyone asked for\n")
    (root / "dir").mkdir()
    os.mkfifo(root / "fifo")
    (root / "loop").symlink_to("loop")
    (root / "dangling").symlink_to("nowhere")
    (root / "nul.json").write_text('{"data_dir": "a\\u0000b"}')
    (root / "space.toml").write_text("[params.lr]\nchoices = [0.01]\n[fixed]\nepochs = 1\n")
    (root / "bad.toml").write_text("[params.lr\n")
    (root / "config.json").write_text('{"lr": 0.01}')  # a settings file, not a run directory
    deep = "[" * 100_000 + "]" * 100_000  # Python's json parser raises RecursionError on it
    (root / "deep.json").write_text(deep)
    (root / "twice.json").write_text('{"lr": 0.1, "lr": 0.2}')

    def broken(name, damage):
        shutil.copytree(root / "run", root / name)
        damage(root / name)

    broken("best-garbage", lambda d: (d / "best.safetensors").write_bytes(b"garbage"))
    broken("best-pickle", lambda d: (d / "best.safetensors").write_bytes(pickle.dumps({"w": [1.0]})))
    broken("best-folder", lambda d: ((d / "best.safetensors").unlink(), (d / "best.safetensors").mkdir()))
    broken("status-garbage", lambda d: (d / "status.json").write_text("{"))
    broken("status-fifo", lambda d: ((d / "status.json").unlink(), os.mkfifo(d / "status.json")))
    broken("history-wrong", lambda d: (d / "history.json").write_text('{"records": [{"step": "x"}]}'))
    broken("config-folder", lambda d: ((d / "config.json").unlink(), (d / "config.json").mkdir()))
    broken("interrupted-garbage", lambda d: ((d / "status.json").write_text('{"status": "interrupted"}'),
                                             (d / "last.safetensors").write_bytes(b"\0" * 100)))
    def edit(path, **changes):
        path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))

    test = {"accuracy": 0.5, "examples": 20, "classes": ["a", "b"], "confusion_matrix": [[5, 5], [5, 5]],
            "per_class_accuracy": {"a": 0.5, "b": 0.5}}
    for name, changes in {"accuracy": {"accuracy": "high"}, "examples": {"examples": [20]},
                          "per-class": {"per_class_accuracy": {"a": 0.5}},
                          "class-value": {"per_class_accuracy": {"a": 0.5, "b": "x"}},
                          "matrix": {"confusion_matrix": [[5, 5], [5]]},
                          "classes": {"classes": [1, 2]}}.items():
        broken(f"test-{name}", lambda d, changes=changes: (d / "test.json").write_text(
            json.dumps({**test, **changes})))
    broken("status-step", lambda d: edit(d / "status.json", step=[1]))
    broken("status-seconds", lambda d: edit(d / "status.json", seconds="long"))
    broken("status-reason", lambda d: edit(d / "status.json", reason={"why": "no"}))
    broken("machine-list", lambda d: edit(d / "machine.json", processor=[1, 2]))
    shutil.copytree(root / "search", root / "search-space")
    edit(root / "search-space" / "search.json", space=["lr"])
    for name in ("config", "status", "history", "test"):
        broken(f"{name}-deep", lambda d, name=name: (d / f"{name}.json").write_text(deep))
    shutil.copytree(root / "search", root / "search-deep")
    (root / "search-deep" / "search.json").write_text(deep)
    return root


USAGE, RUNTIME = 2, 1
CASES = [
    # global
    ([], None, None),
    (["frobnicate"], USAGE, "invalid choice: 'frobnicate'"),
    (["--frobnicate"], USAGE, "unrecognized arguments: --frobnicate"),
    # data
    (["data", "--data-dir"], USAGE, "--data-dir: expected one argument"),
    (["data", "--verbose"], USAGE, "unrecognized arguments: --verbose (see npnn data --help)"),
    (["train", "--frobnicate", "1"], USAGE, "unrecognized arguments: --frobnicate 1 (see npnn train --help)"),
    (["plot", "curves", "run", "--bogus"], USAGE, "--bogus (see npnn plot curves --help)"),
    (["data", "--data-dir", "missing"], RUNTIME, "data_dir missing: no such directory"),
    (["data", "--data-dir", "file.txt"], RUNTIME, "data_dir file.txt: not a directory"),
    (["data", "--data-dir", "fifo", "--no-download"], RUNTIME, "data_dir fifo: not a directory"),
    (["data", "--data-dir", "loop"], RUNTIME, "data_dir loop: a symbolic link loop"),
    (["data", "--data-dir", "dangling"], RUNTIME, "data_dir dangling: a broken symbolic link (to nowhere)"),
    # train
    (["train", "--hidden"], USAGE, "--hidden: expected at least one argument"),
    (["train", "--lr", "fast"], USAGE, "--lr: invalid float value: 'fast'"),
    (["train", "--dropout", "1.0"], USAGE, "--dropout: must be < 1, got 1"),
    (["train", "--seed", "-1"], USAGE, "--seed: must be >= 0, got -1"),
    (["train", "--hidden", "0"], USAGE, "--hidden: sizes must be positive integers"),
    (["train", "--on-nonfinite", "ignore"], USAGE, "--on-nonfinite: must be one of stop, skip; got 'ignore'"),
    (["train", "--config", "missing.json"], USAGE, "--config missing.json: cannot read it: No such file"),
    (["train", "--config", "dir"], USAGE, "--config dir: cannot read it: not a regular file"),
    (["train", "--config", "fifo"], USAGE, "--config fifo: cannot read it: not a regular file"),
    (["train", "--config", "file.txt"], USAGE, "--config file.txt: not valid JSON"),
    (["train", "--config", "space.toml"], USAGE, "--config space.toml: not valid JSON"),
    (["train", "--config", "deep.json"], USAGE, "--config deep.json: not valid JSON: nested more than 100"),
    (["train", "--config", "twice.json"], USAGE, "twice.json: not valid JSON: the key 'lr' appears twice"),
    (["train", *TINY, "--data-dir", "missing"], RUNTIME, "missing: no such directory"),
    (["train", *TINY, "--data-dir", "loop"], RUNTIME, "loop: a symbolic link loop"),  # was a RuntimeError
    (["train", "--config", "nul.json"], USAGE, "nul.json: data_dir: must be a folder name without NUL"),
    (["test", "run", "--data-dir", "loop"], RUNTIME, "data_dir loop: a symbolic link loop"),
    (["train", *TINY, "--out", "file.txt"], USAGE, "--out: file.txt is a file"),
    (["train", *TINY, "--out", "file.txt/runs"], USAGE, "--out: file.txt is a file"),
    (["train", *TINY, "--out", "run"], USAGE, "--out: run is a run directory"),
    (["train", "--resume", "missing"], RUNTIME, "missing is not a run directory (no config.json)"),
    (["train", "--resume", "search"], RUNTIME, "search is not a run directory (no config.json)"),
    (["train", "--resume", "file.txt"], RUNTIME, "file.txt is not a run directory"),
    (["train", "--resume", "run"], None, None),  # finished: says so, exit 0
    (["train", "--resume", "run", "--epochs", "3"], USAGE, "drop --epochs (or add --force"),
    (["train", "--resume", "status-garbage"], RUNTIME, "status.json: not valid JSON"),
    (["train", "--resume", "status-deep"], RUNTIME, "status.json: not valid JSON (nested more than 100"),
    (["plot", "curves", "config-deep"], RUNTIME, "config.json: not valid JSON: nested more than 100"),
    (["train", "--resume", "status-fifo"], RUNTIME, "status.json is not a regular file"),
    (["train", "--resume", "interrupted-garbage"], RUNTIME, "last.safetensors: not a readable safetensors"),
    # test
    (["test"], USAGE, "the following arguments are required: RUN_DIR"),
    (["test", "run", "--split", "train"], USAGE, "--split: invalid choice: 'train'"),
    (["test", "missing"], RUNTIME, "missing is not a run directory"),
    (["test", "file.txt"], RUNTIME, "file.txt is not a run directory"),
    (["test", "fifo"], RUNTIME, "fifo is not a run directory"),
    (["test", "search"], RUNTIME, "search is not a run directory"),
    (["test", "run", "--data-dir", "missing"], RUNTIME, "data_dir missing: no such directory"),
    (["test", "best-garbage"], RUNTIME, "best.safetensors: not a readable safetensors file"),
    (["test", "best-pickle"], RUNTIME, "best.safetensors: not a readable safetensors file"),
    (["test", "best-folder"], RUNTIME, "best.safetensors is a directory, not a checkpoint file"),
    (["test", "config-folder"], RUNTIME, "config-folder is not a run directory"),
    # search
    (["search", "--jobs", "0", "--space", "space.toml"], USAGE, "--jobs must be >= 1, got 0"),
    (["search", "--trials", "many"], USAGE, "--trials: invalid int value: 'many'"),
    (["search", "--trials", "-1", "--space", "space.toml"], USAGE, "--trials must be >= 1, got -1"),
    (["search", "--preset", "original-3"], USAGE, "unknown preset 'original-3'"),
    (["search", "--space", "missing.toml"], USAGE, "cannot read search space missing.toml"),
    (["search", "--space", "dir"], USAGE, "cannot read search space dir: not a regular file"),
    (["search", "--space", "fifo"], USAGE, "cannot read search space fifo: not a regular file"),
    (["search", "--space", "bad.toml"], USAGE, "bad.toml is not valid TOML"),
    (["search", "--space", "file.txt"], USAGE, "file.txt is not valid TOML"),
    (["search", "--space", "space.toml", "--lr", "-1"], USAGE, "--lr: must be > 0"),
    (["search", "--space", "space.toml", "--out", "file.txt"], USAGE, "--out: file.txt is a file"),
    (["search", "--space", "space.toml", "--out", "run"], USAGE, "--out: run is a run directory"),
    (["search", "--space", "space.toml", "--out", "s", "--storage", "bogus://x"], USAGE,
     "--storage bogus://x: cannot use it"),
    (["search", "--summary", "missing"], RUNTIME, "missing does not exist"),
    (["search", "--summary", "run"], RUNTIME, "run/search_result.csv does not exist"),
    (["search", "--summary", "file.txt"], RUNTIME, "file.txt: not a search results table"),
    (["search", "--summary", "fifo"], RUNTIME, "fifo: not a search results table (not a regular file)"),
    (["search", "--summary", "search", "--top", "0"], USAGE, "--top must be at least 1, got 0"),
    # plot
    (["plot"], USAGE, "the following arguments are required: KIND"),
    (["plot", "pie", "run"], USAGE, "invalid choice: 'pie'"),
    (["plot", "curves"], USAGE, "the following arguments are required: RUN_DIR"),
    (["plot", "curves", "missing"], RUNTIME, "missing does not exist"),
    (["plot", "curves", "fifo"], RUNTIME, "fifo is neither a folder nor a file"),
    (["plot", "curves", "search"], RUNTIME, "search is not a run directory"),
    (["plot", "curves", "history-wrong"], RUNTIME, "history.json: damaged: not a training history"),
    (["plot", "curves", "status-garbage"], RUNTIME, "status.json: not valid JSON"),
    (["plot", "search", "run"], RUNTIME, "run holds no search_result.csv"),
    (["plot", "search", "file.txt"], RUNTIME, "file.txt: not a search results table"),
    (["plot", "search", "dir"], RUNTIME, "dir holds no search_result.csv"),
    (["plot", "weights", "search"], RUNTIME, "search is not a run directory"),
    (["plot", "weights", "best-garbage"], RUNTIME, "best.safetensors: not a readable safetensors file"),
    (["plot", "confusion", "file.txt"], RUNTIME, "file.txt is not a run directory"),
    (["plot", "search", "search", "--format", "gif"], USAGE, "invalid choice: 'gif'"),
    (["plot", "search", "search", "-o", "file.txt"], USAGE, "-o: file.txt is a file"),
    # report
    (["report"], USAGE, "the following arguments are required: SEARCH_DIR|RUN_DIR"),
    (["report", "missing"], RUNTIME, "missing does not exist"),
    (["report", "file.txt"], RUNTIME, "file.txt is neither a search directory"),
    (["report", "fifo"], RUNTIME, "fifo is neither a search directory"),
    (["report", "dir"], RUNTIME, "dir is neither a search directory"),
    (["report", "run", "--top", "0"], USAGE, "--top must be at least 1, got 0"),
    (["report", "run", "--top", "few"], USAGE, "--top: invalid int value: 'few'"),
    (["report", "run", "-o", "dir"], USAGE, "-o: dir is a folder; give the HTML file to write"),
    (["report", "run", "-o", "file.txt/report.html"], USAGE, "-o: file.txt is a file, not a folder"),
    (["report", "config-deep"], RUNTIME, "config.json: not valid JSON: nested more than 100"),
    (["report", "status-deep"], RUNTIME, "status.json: not valid JSON (nested more than 100"),
    (["report", "history-deep"], RUNTIME, "history.json: not valid JSON (nested more than 100"),
    (["report", "test-deep"], RUNTIME, "test.json: not valid JSON (nested more than 100"),
    (["report", "search-deep"], RUNTIME, "search.json: not valid JSON (nested more than 100"),
    (["test", "config-deep"], RUNTIME, "config.json: not valid JSON: nested more than 100"),
    (["report", "test-accuracy"], RUNTIME, "\"accuracy\" must be a number from 0 to 1, got 'high'"),
    (["report", "test-examples"], RUNTIME, "test.json: \"examples\" must be a whole number >= 0, got [20]"),
    (["report", "test-per-class"], RUNTIME, "\"per_class_accuracy\" must be an object with an entry"),
    (["report", "test-class-value"], RUNTIME, "test.json: \"per_class_accuracy['b']\" must be a number"),
    (["plot", "confusion", "test-matrix"], RUNTIME, "test.json: \"confusion_matrix[1]\" must be 2 counts"),
    (["plot", "confusion", "test-classes"], RUNTIME, "\"classes\" must be 2 different class names"),
    (["report", "status-step"], RUNTIME, "status.json: \"step\" must be a whole number >= 0, got [1]"),
    (["report", "status-seconds"], RUNTIME, "status.json: \"seconds\" must be a number >= 0, got 'long'"),
    (["plot", "curves", "status-reason"], RUNTIME, "status.json: \"reason\" must be text"),
    (["report", "machine-list"], RUNTIME, "machine.json: \"processor\" must be text or a number, got [1, 2]"),
    (["report", "search-space"], RUNTIME, "search.json: \"space\" must be the name of a search space"),
    (["report", "history-wrong"], RUNTIME, "history.json: damaged: not a training history"),
]


@pytest.mark.parametrize("args, status, words", CASES, ids=[" ".join(c[0]) or "(none)" for c in CASES])
def test_one_line_and_the_right_exit_status(place, monkeypatch, capsys, args, status, words):
    monkeypatch.chdir(place)
    try:
        code = main(args)
    except SystemExit as exit:  # argparse
        code = exit.code
    _, err = capsys.readouterr()
    if status is None:  # the controls: they succeed
        assert code == 0, err
        return
    lines = err.strip().splitlines()
    assert code == status, err
    assert len(lines) == 1, err
    assert words in lines[0] and "Traceback" not in err
    assert lines[0].startswith("npnn") and ": error: " in lines[0]


@pytest.mark.parametrize("how", ["--debug", "NPNN_DEBUG=1"])
@pytest.mark.parametrize("args, status", [(["test", "missing"], RUNTIME),
                                          (["train", "--config", "missing.json"], USAGE)])
def test_debug_adds_the_traceback_and_keeps_the_exit_status(place, how, args, status, monkeypatch):
    env = {**ENV, "NPNN_DEBUG": "1"} if how.startswith("NPNN_DEBUG") else ENV
    flags = ["--debug"] if how == "--debug" else []
    monkeypatch.chdir(place)
    result = npnn_cli(*flags, *args, env=env)
    assert result.returncode == status, result.stderr
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"npnn {args[0]}: error: ")



@pytest.mark.parametrize("where", ["HOME", "MPLCONFIGDIR", "XDG_CACHE_HOME"])
def test_an_unwritable_home_or_matplotlib_folder_leaks_no_matplotlib_warning(place, tmp_path, where):
    """matplotlib warned on every import where its folders cannot be written; npnn imports it for
    every error message (npnn.report), so each one came after two lines of warnings."""
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o555)  # read-only for a user; root may still write, so also a path no one can make:
    unwritable = place / "file.txt" / "sub"  # (file.txt is a regular file)
    env = {key: value for key, value in ENV.items() if key not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME",
                                                                    "XDG_CACHE_HOME")}
    env.update(TMPDIR=str(tmp_path), HOME=str(home if os.geteuid() else unwritable))
    if where != "HOME":
        env[where] = str(unwritable)
    error = npnn_cli("test", place / "missing", env=env)
    assert error.returncode == 1
    missing = place / "missing"
    assert error.stderr.strip().splitlines() == [f"npnn test: error: {missing} is not a run directory (no "
                                                 "config.json): pass a folder made by `npnn train`"]
    plot = npnn_cli("plot", "curves", place / "run", "-o", tmp_path / "plots", env=env)
    assert plot.returncode == 0 and plot.stderr == "", plot.stderr
    assert (tmp_path / f"npnn-matplotlib-{os.getuid()}").is_dir()  # where the font cache went
