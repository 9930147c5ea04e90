"""`npnn search` through the real command: a small TOML grid, the summary, argument errors."""

import os
import subprocess
import sys

from npnn.search import COLUMNS, read_csv

SPACE = """
description = "tiny grid"
sampler = "grid"
[fixed]
hidden = [16]
batch_size = 100
epochs = 1
train_subset = 300
[params.lr]
choices = [0.003, 0.01]
"""


def npnn_cli(*args, cwd=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "npnn", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "PYTHONUNBUFFERED": "1"}, timeout=timeout)


def test_search_from_a_toml_space_then_summary(tmp_path):
    (tmp_path / "space.toml").write_text(SPACE)
    result = npnn_cli("search", "--space", tmp_path / "space.toml", "--out", tmp_path / "s", "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("complete hidden [16]") == 2 and "ETA" in result.stdout
    rows = read_csv(tmp_path / "s" / "search_result.csv")
    assert list(rows[0]) == [*COLUMNS, "model"] and {r["learning_rate"] for r in rows} == {"0.003", "0.01"}
    summary = npnn_cli("search", "--summary", tmp_path / "s")
    assert summary.returncode == 0 and "ranked by validation accuracy" in summary.stdout


def test_summary_from_the_shared_storage_lists_every_workers_trials(tmp_path):
    """On machine B, the study holds what machine A trained: --summary DIR --storage URL writes
    it all into DIR's CSV (what `npnn report DIR` reads) and prints it; it creates nothing else."""
    (tmp_path / "space.toml").write_text(SPACE)
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    result = npnn_cli("search", "--space", tmp_path / "space.toml", "--out", tmp_path / "machine-a",
                      "--storage", storage, "--study", "shared")
    assert result.returncode == 0, result.stderr
    summary = npnn_cli("search", "--summary", tmp_path / "machine-b", "--storage", storage,
                       "--study", "shared")
    assert summary.returncode == 0, summary.stderr
    assert "2 trials of study 'shared'" in summary.stdout
    assert "ranked by validation accuracy" in summary.stdout
    rows = read_csv(tmp_path / "machine-b" / "search_result.csv")
    assert {r["learning_rate"] for r in rows} == {"0.003", "0.01"}
    assert all(r["run_dir"].startswith(str(tmp_path / "machine-a")) for r in rows)  # where each ran
    wrong = npnn_cli("search", "--summary", tmp_path / "b", "--storage", storage, "--study", "other")
    assert wrong.returncode == 2 and wrong.stderr.strip().endswith("give the --study the workers used")
    missing = npnn_cli("search", "--summary", tmp_path / "b", "--storage", f"sqlite:///{tmp_path / 'no.db'}")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert not (tmp_path / "no.db").exists()


def test_overrides_apply_to_every_trial(tmp_path):
    (tmp_path / "space.toml").write_text(SPACE)
    result = npnn_cli("search", "--space", tmp_path / "space.toml", "--out", tmp_path / "s",
                      "--hidden", "8", "--trials", "1")
    assert result.returncode == 0, result.stderr
    rows = read_csv(tmp_path / "s" / "search_result.csv")
    assert len(rows) == 1 and rows[0]["hidden_size"] == "8"


def test_search_argument_errors_are_one_line(tmp_path):
    for args, text in ((["--preset", "original-9"], "unknown preset"),
                       (["--preset", "wide", "--sampler", "grid"], "grid needs"),
                       (["--jobs", "0"], "--jobs"),
                       (["--lr", "-1"], "--lr")):
        result = npnn_cli("search", *args, "--out", tmp_path / "x")
        assert result.returncode == 2, (args, result.stderr)
        assert text in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    missing = npnn_cli("search", "--summary", tmp_path / "nothing")
    assert missing.returncode == 1 and "does not exist" in missing.stderr


def test_a_grid_too_large_is_refused_before_anything_is_enqueued(tmp_path):
    million = "[params.lr]\nlow = 0.000001\nhigh = 1.0\nstep = 0.000001"
    (tmp_path / "space.toml").write_text(SPACE.replace("[params.lr]\nchoices = [0.003, 0.01]", million))
    result = npnn_cli("search", "--space", tmp_path / "space.toml", "--out", tmp_path / "s", timeout=60)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert (f"{tmp_path / 'space.toml'}: params.lr: the grid has 1,000,000 points (1,000,000 values of lr), "
            "more than the limit of 10,000: use fewer choices or a larger step, or allow it with "
            "--max-grid 1000000") in result.stderr
    assert not (tmp_path / "s" / "study.db").exists()
    small = npnn_cli("search", "--space", tmp_path / "space.toml", "--out", tmp_path / "s", "--max-grid", "0")
    assert small.returncode == 2 and "--max-grid must be >= 1" in small.stderr


def test_bad_toml_ranges_are_one_line_naming_the_file_and_parameter(tmp_path):
    for i, spec in enumerate(("low = 0.001\nhigh = 0.1\nlog = true\nstep = 0.01",  # a traceback before
                              "low = 0.001\nhigh = inf\nstep = 0.01",  # hung before
                              "low = nan\nhigh = 0.1\nstep = 0.01")):
        space = tmp_path / f"space{i}.toml"
        space.write_text(SPACE.replace("choices = [0.003, 0.01]", spec))
        result = npnn_cli("search", "--space", space, "--out", tmp_path / "s", timeout=60)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"npnn search: error: {space}: params.lr: "), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_space_nested_past_the_parser_is_one_line(tmp_path):
    """tomllib recurses once per nested array: 100,000 levels were a RecursionError traceback."""
    space = tmp_path / "deep.toml"
    space.write_text("[params.lr]\nchoices = " + "[" * 100_000 + "]" * 100_000 + "\n")
    result = npnn_cli("search", "--space", space, "--out", tmp_path / "s", timeout=60)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr == (f"npnn search: error: {space} is not a search space: its arrays or tables "
                             "nest too deeply (a space needs two levels)\n")
    assert not (tmp_path / "s").exists()


def test_cnn_preset_runs_a_trial_with_overrides(tmp_path):
    result = npnn_cli("search", "--preset", "cnn", "--out", tmp_path / "s", "--trials", "1", "--epochs", "1",
                      "--train-subset", "300", "--channels", "4", "--cnn-hidden", "16", "--batch-size", "100")
    assert result.returncode == 0, result.stderr
    assert "complete cnn [4] kernel" in result.stdout
    rows = read_csv(tmp_path / "s" / "search_result.csv")
    assert len(rows) == 1 and rows[0]["state"] == "complete" and float(rows[0]["val_accuracy"]) > 0.1


def test_population_flags(tmp_path):
    """--dropout 0 lets the two points train as one population; --no-population trains them
    one by one; --population-size 0 is refused in one line."""
    (tmp_path / "space.toml").write_text(SPACE)
    logs = {}
    for name, flags in (("together", []), ("alone", ["--no-population"])):
        result = npnn_cli("search", "--space", tmp_path / "space.toml", "--out", tmp_path / name,
                          "--dropout", "0", *flags)
        assert result.returncode == 0, result.stderr
        logs[name] = [(run / "train.log").read_text() for run in (tmp_path / name / "runs").iterdir()]
    assert len(logs["together"]) == 2 and all("in a population of 2" in log for log in logs["together"])
    assert len(logs["alone"]) == 2 and not any("population" in log for log in logs["alone"])
    refused = npnn_cli("search", "--space", tmp_path / "space.toml", "--out", tmp_path / "x",
                       "--population-size", "0")
    assert refused.returncode == 2 and "--population-size" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
