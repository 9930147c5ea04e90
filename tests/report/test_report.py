"""The report of a real search and of a run: contents, the Markdown twin, failed trials counted."""

import re

from npnn.report import build_report, load_search, write_report
from npnn.report.findings import search_findings, spearman


def test_search_report_html_and_markdown(small_search, tmp_path):
    report = build_report(small_search)
    titles = [s.title for s in report.sections]
    assert titles == ["Findings", "Setup", "Best models", "Search results",
                      "Training curves of the top models", "Weights", "Test results", "All trials"]
    html_path, markdown_path = write_report(report, tmp_path / "out" / "report.html")
    html = html_path.read_text()
    assert html.count("<img src=\"data:image/png;base64,") == len(report.figures)
    assert "http://" not in html and "https://" not in html and "<script" not in html  # offline, static
    markdown = markdown_path.read_text()
    linked = re.findall(r"!\[[^\]]*\]\((report_files/[^)]+\.png)\)", markdown)
    assert len(linked) == len(report.figures)
    assert all((markdown_path.parent / path).read_bytes().startswith(b"\x89PNG") for path in linked)
    assert "| trial | layout |" in markdown and "8 failed" in markdown
    assert "usable cores" in markdown  # the machine, from the machine.json each run writes
    assert " kernels)" in markdown  # and NumPy's BLAS with the kernel it chose for this CPU


def test_a_search_whose_best_run_is_on_another_machine_is_reported_from_the_study(small_search, tmp_path):
    """A worker on another machine trained the best trial: its run directory is not here."""
    import csv
    import shutil

    copy = tmp_path / "search"
    shutil.copytree(small_search, copy)
    best = load_search(copy).best()[0]
    with open(copy / "search_result.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    elsewhere = f"/elsewhere/runs/{best.run_dir.name}"
    for row in rows:
        if row["no"] == str(best.number):
            row["run_dir"] = elsewhere
    shutil.rmtree(copy / "runs" / best.run_dir.name)
    with open(copy / "search_result.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = build_report(copy)
    _, markdown_path = write_report(report, tmp_path / "out" / "report.html")
    markdown = markdown_path.read_text()
    assert f"Trained elsewhere: its run directory {elsewhere} is not on this machine" in markdown
    assert f"listed from the study: trial {best.number} in {elsewhere}" in markdown
    assert f"| {best.number} |" in markdown  # still ranked, with its accuracies


def test_findings_are_measured_from_the_trials(small_search):
    search = load_search(small_search)
    lines = search_findings(search)
    assert lines[0] == "16 trials: 8 complete, 8 failed."
    best = search.best()[0]
    assert f"trial {best.number} " in lines[1] and f"{100 * best.val_accuracy:.2f}%" in lines[1]
    paired = [line for line in lines if line.startswith("Regularization L2 0.01")]
    assert len(paired) == 1 and "of 4 pairs" in paired[0]


def test_spearman_matches_a_hand_computed_case():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert abs(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) - 0.8) < 1e-12
    assert spearman([1, 1, 1], [1, 2, 3]) != spearman([1, 1, 1], [1, 2, 3])  # nan: constant side


def test_run_report_tests_the_best_checkpoint(small_search, tmp_path):
    search = load_search(small_search)
    run_dir = search.best()[0].run_dir
    report = build_report(run_dir)
    assert [s.title for s in report.sections] == ["Findings", "Setup", "Training curves", "Weights",
                                                  "Test results", "Configuration"]
    findings = report.sections[0].blocks[0].items
    assert any(line.startswith("Test accuracy of the best checkpoint") for line in findings)
    assert (run_dir / "test.json").exists()
