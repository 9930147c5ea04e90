"""Report sections about trained models: curves, weights and test results (run and search reports)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from matplotlib.figure import Figure as MatplotlibFigure

from npnn.report.confusion import per_class_table, plot_confusion, plot_misclassified
from npnn.report.curves import plot_lr_schedule, plot_training_curves
from npnn.report.document import Figure, Paragraph, Report, Section, Table
from npnn.report.figures import figure_bytes
from npnn.report.predictions import test_results
from npnn.report.sources import Run
from npnn.report.weights import load_best_state, plot_first_layer_templates, plot_parameter_matrices

Echo = Callable[[str], None]


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
    for index, figure in enumerate(plot_training_curves(runs), start=1):
        section.add(figure_block(f"curves-{index}", "Train loss (dashed, left axis) and validation accuracy "
                                 "(dotted, right axis) at each evaluation; smoothed lines over faint raw "
                                 "values.", figure))
    section.add(figure_block("lr-schedule", "Learning rate over training, as the scheduler set it.",
                             plot_lr_schedule(runs)))


def weights_section(report: Report, runs: Sequence[tuple[str, Run]], echo: Echo) -> None:
    """First-layer templates and every parameter matrix of each (heading, run) pair."""
    section = report.section("Weights")
    section.add(Paragraph("Each row of the first weight matrix is a 28×28 template the hidden unit matches "
                          "against the image: seen as a flat matrix (as in the original report) it looks "
                          "striped, because each image row is 28 consecutive inputs; folded back to 28×28 it "
                          "shows garment shapes."))
    for index, (heading, run) in enumerate(runs, start=1):
        try:
            state = load_best_state(run)
        except (FileNotFoundError, OSError, ValueError) as error:
            section.add(Paragraph(f"{heading}: no weights to show ({error})."))
            continue
        echo(f"report: weights of {run.name}")
        first = next(name for name, value in state.items() if value.ndim == 2)
        section.add(figure_block(f"templates-{index}", f"{heading} ({run.label}): first-layer weights, one "
                                 "28×28 image per hidden unit (red positive, blue negative).",
                                 plot_first_layer_templates(state[first], title=heading)))
        section.add(figure_block(f"parameters-{index}", f"{heading}: every parameter matrix (winter "
                                 "colormap, as the original).",
                                 plot_parameter_matrices(state, title=heading)))


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
    section.add(figure_block("confusion", "Confusion matrix (cells: % of the true class) and per-class "
                             "accuracy.", plot_confusion(results, title=heading)))
    rows = [[row["class"], str(row["examples"]), str(row["correct"]),
             "–" if row["accuracy"] is None else f"{row['accuracy']:.2f}%", row["confusion"]]
            for row in per_class_table(results)]
    section.add(Table("Per-class test accuracy", ["class", "images", "correct", "accuracy",
                                                  "most common mistake"], rows, numeric={1, 2, 3}))
    section.add(figure_block("misclassified", "A sample of misclassified test images: true and predicted "
                             "class with the model's confidence.",
                             plot_misclassified(predictions, title=heading)))
    return section

