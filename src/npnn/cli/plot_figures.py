"""`npnn plot` at work: the figures of each kind, written as PNG/SVG. matplotlib loads here (with
npnn.report), when the command runs; plot_command.py defines the command's flags without it."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from npnn.cli.errors import EXIT_OK, UsageError, check_folders
from npnn.report import Run, load_run, load_search
from npnn.report.confusion import plot_confusion, plot_misclassified
from npnn.report.curves import plot_lr_schedule, plot_training_curves
from npnn.report.figures import save_figure
from npnn.report.predictions import test_results
from npnn.report.search_plots import plot_accuracy_vs_lr, plot_accuracy_vs_strength, plot_search_heatmap
from npnn.report.weights import load_best_state, plot_first_layer_templates, plot_parameter_matrices

Figures = Iterator[tuple[str, Any]]  # (file stem, matplotlib Figure)


def run(args: argparse.Namespace) -> int:
    paths = args.paths if isinstance(args.paths, list) else [args.paths]
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist: pass a folder made by `npnn train` or "
                                    "`npnn search`")
        if not (path.is_dir() or path.is_file()):
            raise NotADirectoryError(f"{path} is neither a folder nor a file (a pipe or device?): pass "
                                     "a folder made by `npnn train` or `npnn search`")
    first = paths[0]
    out = args.out or (first.parent if first.is_file() else first) / "plots"
    if args.out:
        check_folders("-o", out, "give a folder for the figures")
    for stem, figure in FIGURES[args.kind](paths, args):
        for written in save_figure(figure, out / stem, formats=args.format):
            print(f"wrote {written}")
        figure.clear()
    return EXIT_OK


def _runs(paths: list[Path]) -> list[Run]:
    return [load_run(path) for path in paths]


def _curves(paths: list[Path], args: argparse.Namespace) -> Figures:
    runs = _runs(paths)
    for index, figure in enumerate(plot_training_curves(runs), start=1):
        yield f"curves-{index}", figure
    yield "lr-schedule", plot_lr_schedule(runs)


def _search(paths: list[Path], args: argparse.Namespace) -> Figures:
    search = load_search(paths[0])
    if not search.complete:
        raise UsageError(f"{paths[0]} has no complete trial yet: nothing to plot")
    yield "search-heatmap", plot_search_heatmap(search)
    yield "accuracy-vs-lr", plot_accuracy_vs_lr(search)
    yield "accuracy-vs-strength", plot_accuracy_vs_strength(search)


def _weights(paths: list[Path], args: argparse.Namespace) -> Figures:
    run = _runs(paths)[0]
    state = load_best_state(run)
    first = next(name for name, value in state.items() if value.ndim == 2)
    yield "first-layer", plot_first_layer_templates(state[first], title=run.label)
    yield "parameters", plot_parameter_matrices(state, title=run.label)


def _confusion(paths: list[Path], args: argparse.Namespace) -> Figures:
    run = _runs(paths)[0]
    results, predictions = test_results(run, args.data_dir)  # one evaluation of the test split
    yield "confusion", plot_confusion(results, title=run.label)
    yield "misclassified", plot_misclassified(predictions, title=run.label)


FIGURES: dict[str, Callable[[list[Path], argparse.Namespace], Figures]] = {
    "curves": _curves, "search": _search, "weights": _weights, "confusion": _confusion,
}
