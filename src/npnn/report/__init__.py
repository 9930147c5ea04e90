"""Plots (matplotlib, no display needed) and the generated experiment report.

Everything here reads run directories and search results only: nothing is retrained. The
one model computation is inference of a best checkpoint on the test split.

Each plot_* function returns a matplotlib Figure; given `ax` (one Axes, or one per panel: a list
or the array plt.subplots gives), it draws into those instead and returns their figure. What each
plots from: Runs (load_run) for the curves, a Search (load_search) for the search plots, a
checkpoint's weights (load_best_state, first_weight) for the weights, a test report and
predictions (test_results) for the confusion plots, a CNN and one image (first_test_sample) for the
feature maps. Run, Search, their tables and a Report show as HTML in Jupyter.
"""

from __future__ import annotations

from pathlib import Path

from npnn.report.confusion import plot_confusion, plot_misclassified
from npnn.report.curves import lr_schedule, plot_lr_schedule, plot_training_curve, plot_training_curves
from npnn.report.document import Report, Table, write_report
from npnn.report.feature_maps import first_test_sample, plot_feature_maps
from npnn.report.figures import figure_bytes, save_figure
from npnn.report.findings import run_findings, search_findings
from npnn.report.model_sections import Echo, quiet
from npnn.report.predictions import predict_test, test_results
from npnn.report.run_report import build_run_report
from npnn.report.search_plots import plot_accuracy_vs_lr, plot_accuracy_vs_strength, plot_search_heatmap
from npnn.report.search_report import build_search_report
from npnn.report.setup import setup_table
from npnn.report.sources import ReportError, Run, Search, Trial, is_search, load_run, load_search
from npnn.report.weights import (
    first_weight,
    load_best_state,
    plot_first_layer_filters,
    plot_first_layer_templates,
    plot_parameter_matrices,
)
from npnn.training.run_dir import is_run_dir

# every figure function: returns a matplotlib Figure, draws into `ax` where given
PLOTS = ["plot_accuracy_vs_lr", "plot_accuracy_vs_strength", "plot_confusion", "plot_feature_maps",
         "plot_first_layer_filters", "plot_first_layer_templates", "plot_lr_schedule", "plot_misclassified",
         "plot_parameter_matrices", "plot_search_heatmap", "plot_training_curve", "plot_training_curves"]

__all__ = ["PLOTS", "Report", "ReportError", "Run", "Search", "Table", "Trial", "build_report",
           "build_run_report", "build_search_report", "figure_bytes", "first_test_sample", "first_weight",
           "load_best_state", "load_run", "load_search", "lr_schedule", "plot_accuracy_vs_lr",
           "plot_accuracy_vs_strength", "plot_confusion", "plot_feature_maps", "plot_first_layer_filters",
           "plot_first_layer_templates", "plot_lr_schedule", "plot_misclassified", "plot_parameter_matrices",
           "plot_search_heatmap", "plot_training_curve", "plot_training_curves", "predict_test",
           "run_findings", "save_figure", "search_findings", "setup_table", "test_results", "write_report"]


def build_report(path: str | Path, top: int = 4, data_dir: str | None = None, echo: Echo = quiet) -> Report:
    """The report of a search directory (or its CSV) or of a run directory."""
    if is_search(path):
        return build_search_report(load_search(path), top=top, data_dir=data_dir, echo=echo)
    if is_run_dir(path):
        return build_run_report(load_run(path), data_dir=data_dir, echo=echo)
    raise ReportError(f"{path} is neither a search directory (no search_result.csv) nor a run directory "
                      "(no config.json): pass a folder made by `npnn search` or `npnn train`")
