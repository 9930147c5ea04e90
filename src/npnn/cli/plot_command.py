"""`npnn plot`: the report's figures one at a time, as PNG (and SVG on request), no display needed.

  npnn plot curves RUN_DIR...        training curves (four runs a figure) and lr schedule
  npnn plot search SEARCH_DIR|CSV    heatmap, accuracy vs lr, accuracy vs regularization strength
  npnn plot weights RUN_DIR          first-layer templates (a CNN's filters and feature maps of one
                                     test image) and every parameter matrix
  npnn plot confusion RUN_DIR        confusion matrix and misclassified test images
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    parser = commands.add_parser("plot", help="draw figures of runs and searches", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True,
                                  parser_class=type(parser))
    for kind, paths, help_text in (
        ("curves", "RUN_DIR", "training curves and learning-rate schedule of one or more runs"),
        ("search", "SEARCH_DIR", "search plots of a search directory or its search_result.csv"),
        ("weights", "RUN_DIR", "weights of a run's best checkpoint"),
        ("confusion", "RUN_DIR", "confusion matrix and misclassified test images of a run"),
    ):
        sub = kinds.add_parser(kind, help=help_text, description=help_text)
        sub.add_argument("paths", type=Path, nargs="+" if kind == "curves" else None, metavar=paths)
        sub.add_argument("-o", "--out", type=Path,
                         help="folder for the figures (default: plots/ inside the (first) directory given)")
        sub.add_argument("--format", nargs="+", choices=("png", "svg"), default=["png"],
                         help="file formats to write (default: png)")
        if kind in ("confusion", "weights"):
            sub.add_argument("--data-dir", help="folder with the Fashion-MNIST files (default: as trained)")
        sub.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # the CLI's one import of npnn.report, and so of matplotlib: only `npnn plot` runs it
    from npnn.cli import plot_figures

    return plot_figures.run(args)
