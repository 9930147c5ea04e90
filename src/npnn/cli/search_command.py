"""`npnn search`: hyperparameter search on Optuna, resumable and parallel.

Presets reproduce the original system's two grids (original-1, original-2), search widely for
the best MLP (wide) or the best CNN (cnn); `--space FILE.toml` gives your own. Rerun the same
command to continue a search: after Ctrl-C, SIGTERM or SIGHUP (exit status 130, 143, 129), a
full disk or a killed worker (exit status 1), the trials that were running are queued again.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from npnn.cli.config_flags import add_config_flags

MAX_GRID_HELP = "10,000"  # npnn.search.study.MAX_GRID, written out: `npnn --help` loads no search
POPULATION_SIZE = 25  # npnn.search.study.POPULATION_SIZE, likewise


def register(commands: Any) -> None:
    parser = commands.add_parser("search", help="hyperparameter search on Optuna", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    what = parser.add_argument_group("what to search")
    what.add_argument("--preset", help="original-1, original-2, wide or cnn (default: original-2)")
    what.add_argument("--space", type=Path, help="a TOML search space ([fixed], [params.NAME])")
    what.add_argument("--sampler", choices=("grid", "random", "tpe"),
                      help="default: the preset's (grid for the original presets)")
    what.add_argument("--sampler-seed", type=int, default=0,
                      help="seed of the random and TPE samplers (default: 0)")
    what.add_argument("--prune", action="store_true",
                      help="stop trials whose validation accuracy is below the median at the same step")
    how = parser.add_argument_group("where and how")
    how.add_argument("--out", type=Path, help="search directory (default: searches/<preset>)")
    how.add_argument("--trials", type=int, help="stop after this many more trials (grid: until done)")
    how.add_argument("--jobs", type=int, default=1, help="trials at once, in separate processes")
    how.add_argument("--population-size", type=int, default=POPULATION_SIZE, metavar="N",
                     help="train up to N trials that share a layout at once, as one stacked model "
                          f"(grid and random searches of MLPs; default: {POPULATION_SIZE})")
    how.add_argument("--no-population", action="store_true",
                     help="train every trial on its own (as --population-size 1)")
    how.add_argument("--storage", help="Optuna storage URL shared by workers (default: SQLite in --out)")
    how.add_argument("--study", default="npnn-search", help="study name in the storage")
    how.add_argument("--max-grid", type=int, metavar="N",
                     help=f"refuse a grid of more than N points (default: {MAX_GRID_HELP})")
    how.add_argument("--summary", type=Path, metavar="DIR",
                     help="print the summary of an existing search directory and exit; with --storage, "
                          "of every trial in the shared study, written into DIR/search_result.csv")
    how.add_argument("--top", type=int, default=4, help="trials per table in the summary (default: 4)")
    add_config_flags(parser.add_argument_group(
        "fixed overrides for every trial (e.g. --epochs 3 --train-subset 5000)"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # the CLI's one import of npnn.search, and so of Optuna: only `npnn search` runs it
    from npnn.cli import search_run

    return search_run.run(args)
