"""`npnn plot` at work: each kind loads its source from the paths given and writes its group of
npnn.report.catalogue (the figures the report embeds) as PNG/SVG. matplotlib loads here (with
npnn.report), when the command runs; plot_command.py defines the command's flags without it."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from npnn.cli.errors import EXIT_OK, UsageError, check_folders
from npnn.report import catalogue, load_run, load_search
from npnn.report.feature_maps import first_test_sample
from npnn.report.figures import save_figure
from npnn.report.predictions import test_results
from npnn.report.weights import load_best_state

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


def _draw(entries: tuple[catalogue.Entry, ...], source: Any, title: str = "") -> Figures:
    for _, stem, figure in catalogue.draw(entries, source, title):
        yield stem, figure


def _curves(paths: list[Path], args: argparse.Namespace) -> Figures:
    return _draw(catalogue.CURVES, [load_run(path) for path in paths])


def _search(paths: list[Path], args: argparse.Namespace) -> Figures:
    search = load_search(paths[0])
    if not search.complete:
        raise UsageError(f"{paths[0]} has no complete trial yet: nothing to plot")
    return _draw(catalogue.SEARCH, search)


def _weights(paths: list[Path], args: argparse.Namespace) -> Figures:
    run = load_run(paths[0])
    state = load_best_state(run)
    yield from _draw(catalogue.weights_entries(state), state, run.label)
    if run.config.model == "cnn":  # and what its filters make of one test image
        yield from _draw(catalogue.FEATURES, first_test_sample(run, args.data_dir), run.label)


def _confusion(paths: list[Path], args: argparse.Namespace) -> Figures:
    run = load_run(paths[0])
    return _draw(catalogue.CONFUSION, test_results(run, args.data_dir), run.label)  # one test evaluation


# each kind: its source loaded from the command's paths, then its group of the catalogue drawn
FIGURES: dict[str, Callable[[list[Path], argparse.Namespace], Figures]] = {
    "curves": _curves, "search": _search, "weights": _weights, "confusion": _confusion,
}
