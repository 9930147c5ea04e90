"""`npnn plot …` and `npnn report` through the real command: files written, one-line errors."""

import os
import subprocess
import sys

from npnn.report import load_search


def npnn_cli(*args):
    return subprocess.run([sys.executable, "-m", "npnn", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_report_command_writes_html_and_markdown(small_search, tmp_path):
    result = npnn_cli("report", small_search, "-o", tmp_path / "r" / "index.html", "--top", "2")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "r" / "index.html").stat().st_size > 10_000
    assert (tmp_path / "r" / "index.md").exists() and (tmp_path / "r" / "index_files").is_dir()
    assert "Best 2 of 4 models" in (tmp_path / "r" / "index.md").read_text()


def test_plot_commands_write_each_figure(small_search, tmp_path):
    runs = [t.run_dir for t in load_search(small_search).best(top=2)]
    cases = [
        (["search", small_search], ["search-heatmap.png", "accuracy-vs-lr.png", "accuracy-vs-strength.png"]),
        (["curves", *runs], ["curves-1.png", "lr-schedule.png"]),
        (["weights", runs[0], "--format", "png", "svg"],
         ["first-layer.png", "first-layer.svg", "parameters.png", "parameters.svg"]),
        (["confusion", runs[0]], ["confusion.png", "misclassified.png"]),
    ]
    for args, files in cases:
        out = tmp_path / args[0]
        result = npnn_cli("plot", *args, "-o", out)
        assert result.returncode == 0, result.stderr
        assert sorted(p.name for p in out.iterdir()) == sorted(files)
        for name in files:
            data = (out / name).read_bytes()
            assert data.startswith(b"\x89PNG" if name.endswith(".png") else b"<?xml")


def test_bad_paths_and_arguments_give_one_line(small_search, tmp_path):
    run_dir = load_search(small_search).best()[0].run_dir
    for args, status, words in [
        (["report", tmp_path / "missing"], 1, "does not exist"),
        (["report", tmp_path], 1, "neither a search directory"),
        (["report", small_search, "--top", "0"], 2, "--top must be at least 1"),
        (["plot", "search", run_dir], 1, "search_result.csv"),
        (["plot", "weights", small_search], 1, "not a run directory"),
        (["plot", "curves"], 2, "RUN_DIR"),
        (["plot", "pie", run_dir], 2, "invalid choice"),
    ]:
        result = npnn_cli(*args)
        assert result.returncode == status, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], (args, result.stderr)
        assert "Traceback" not in result.stderr
