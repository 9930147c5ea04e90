"""Report sections about trained models: curves, weights and test results (run and search reports)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from matplotlib.figure import Figure as MatplotlibFigure

from npnn.report.catalogue import CONFUSION, CURVES, FEATURES, draw, weights_entries
from npnn.report.confusion import per_class_table
from npnn.report.document import Figure, Paragraph, Report, Section, Table
from npnn.report.feature_maps import first_test_sample
from npnn.report.figures import figure_bytes
from npnn.report.predictions import test_results
from npnn.report.sources import Run
from npnn.report.weights import load_best_state

Echo = Callable[[str], None]
MLP_WEIGHTS = ("Each row of an MLP's first weight matrix is a 28×28 template the hidden unit matches against "
               "the image: seen as a flat matrix (as in the original report) it looks striped, because each "
               "image row is 28 consecutive inputs; folded back to 28×28 it shows garment shapes.")
CNN_WEIGHTS = ("A CNN's first layer is a bank of small filters, each slid over the whole image: they show "
               "the local patterns (edges at some angle, spots) its first feature maps respond to.")


def quiet(_: str) -> None:
    """An Echo that drops progress messages."""


def figure_block(name: str, caption: str, figure: MatplotlibFigure) -> Figure:
    """A matplotlib figure rendered to PNG for the report (and freed)."""
    png = figure_bytes(figure)
    figure.clear()
    return Figure(name, caption, png)


def curves_section(report: Report, runs: Sequence[Run], title: str, intro: str) -> None:
    """The original's training curves (four runs a figure) and the learning-rate schedule."""
    section = report.section(title)
    section.add(Paragraph(intro))
    for entry, stem, figure in draw(CURVES, runs):
        section.add(figure_block(stem, entry.caption, figure))


def weights_section(report: Report, runs: Sequence[tuple[str, Run]], echo: Echo,
                    data_dir: str | None = None) -> None:
    """First-layer templates (a CNN's filters, and its feature maps of the first test image) and
    every parameter matrix of each (heading, run) pair."""
    section = report.section("Weights")
    models = {run.config.model for _, run in runs}
    if "mlp" in models:
        section.add(Paragraph(MLP_WEIGHTS))
    if "cnn" in models:
        section.add(Paragraph(CNN_WEIGHTS))
    for index, (heading, run) in enumerate(runs, start=1):
        try:
            state = load_best_state(run)
        except (FileNotFoundError, OSError, ValueError) as error:
            section.add(Paragraph(f"{heading}: no weights to show ({error})."))
            continue
        echo(f"report: weights of {run.name}")
        for entry, _, figure in draw(weights_entries(state), state, heading):
            section.add(figure_block(f"{entry.report_stem or entry.stem}-{index}",
                                     entry.caption.format(heading=heading, label=run.label), figure))
        if run.config.model == "cnn":
            try:
                sample = first_test_sample(run, data_dir)
            except (FileNotFoundError, OSError, ValueError) as error:
                section.add(Paragraph(f"{heading}: no feature maps to show ({error})."))
                continue
            for entry, _, figure in draw(FEATURES, sample, heading):
                section.add(figure_block(f"{entry.stem}-{index}",
                                         entry.caption.format(heading=heading, label=run.label), figure))


def test_section(report: Report, run: Run, heading: str, data_dir: str | None, echo: Echo) -> Section:
    """Confusion matrix, per-class table and misclassified images of `run`'s best checkpoint."""
    section = report.section("Test results")
    try:
        echo(f"report: testing {run.name} (inference only)")
        results, predictions = test_results(run, data_dir)  # one evaluation of the test split
    except (FileNotFoundError, OSError, ValueError) as error:
        section.add(Paragraph(f"{heading}: the test results could not be computed: {error}"))
        return section
    run.test = results
    section.add(Paragraph(f"{heading} ({run.label}), best checkpoint, on the {results['examples']:,} test "
                          f"images: accuracy {100 * results['accuracy']:.2f}%."))
    rows = [[row["class"], str(row["examples"]), str(row["correct"]),
             "–" if row["accuracy"] is None else f"{row['accuracy']:.2f}%", row["confusion"]]
            for row in per_class_table(results)]
    for entry, stem, figure in draw(CONFUSION, (results, predictions), heading):
        section.add(figure_block(stem, entry.caption, figure))
        if stem == "confusion":  # the per-class table sits under the matrix it details
            section.add(Table("Per-class test accuracy", ["class", "images", "correct", "accuracy",
                                                          "most common mistake"], rows, numeric={1, 2, 3}))
    return section

