"""`npnn search`: hyperparameter search on Optuna, resumable and parallel.

Presets reproduce the original system's two grids (original-1, original-2) or search widely
(wide); `--space FILE.toml` gives your own. Rerun the same command to continue a search:
after Ctrl-C, SIGTERM or SIGHUP (exit status 130, 143, 129), a full disk or a killed worker
(exit status 1), the trials that were running are queued again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from npnn.cli.config_flags import add_config_flags, config_overrides
from npnn.cli.errors import UsageError, check_folders

MAX_GRID_HELP = "10,000"  # npnn.search.study.MAX_GRID, written out: `npnn --help` loads no search


def register(commands: Any) -> None:
    parser = commands.add_parser("search", help="hyperparameter search on Optuna", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    what = parser.add_argument_group("what to search")
    what.add_argument("--preset", help="original-1, original-2 or wide (default: original-2)")
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
    how.add_argument("--storage", help="Optuna storage URL shared by workers (default: SQLite in --out)")
    how.add_argument("--study", default="npnn-search", help="study name in the storage")
    how.add_argument("--max-grid", type=int, metavar="N",
                     help=f"refuse a grid of more than N points (default: {MAX_GRID_HELP})")
    how.add_argument("--summary", type=Path, metavar="DIR",
                     help="print the summary of an existing search directory and exit")
    how.add_argument("--top", type=int, default=4, help="trials per table in the summary (default: 4)")
    add_config_flags(parser.add_argument_group(
        "fixed overrides for every trial (e.g. --epochs 3 --train-subset 5000)"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from npnn.search import ResultsError, SearchError, SpaceError, read_csv, run_search, summary
    from npnn.search.study import masked_url
    from npnn.training.stop_signals import signal_name

    if args.top < 1:
        raise UsageError(f"--top must be at least 1, got {args.top}")
    if args.summary is not None:
        csv = args.summary / "search_result.csv" if args.summary.is_dir() else args.summary
        if not csv.exists():
            raise FileNotFoundError(f"{csv} does not exist: pass a folder made by `npnn search`")
        try:
            rows = read_csv(csv)
        except ResultsError as error:
            raise ResultsError(f"{error}; pass a folder made by `npnn search` or its "
                               "search_result.csv") from None
        print(summary(rows, top=args.top))
        return 0
    try:
        options = _options(args)
        print(f"search: {options.space.description or options.space_source}; sampler "
              f"{options.sampler_name}; {options.jobs} job(s); storage {masked_url(options.storage_url)}")
        result = run_search(options, echo=_echo)
    except (SearchError, SpaceError) as error:
        raise UsageError(str(error)) from None
    print(result["summary"])
    print(f"{result['complete']} complete, {result['failed']} failed, {result['pruned']} pruned; "
          f"{result['seconds']:.0f}s; results in {result['csv']}")
    if result["signal"]:  # Ctrl-C 130, SIGTERM 143, SIGHUP 129, as a shell reports them
        print(f"stopped by {signal_name(result['signal'])}: the trials in progress are queued again; "
              "rerun the same command to continue", file=sys.stderr)
        return 128 + result["signal"]
    return 0


def _options(args: argparse.Namespace) -> Any:
    from npnn.search import SearchOptions, load_space, preset
    from npnn.training import ConfigError

    if args.preset and args.space:
        raise UsageError("give --preset or --space, not both")
    name = str(args.space) if args.space else (args.preset or "original-2")
    space = load_space(str(args.space)) if args.space else preset(name)
    overrides = config_overrides(args)
    try:  # validate the overrides against the space's first configuration
        first = {p.name: p.labels()[0] if p.choices else p.low for p in space.params}
        space.config(first, overrides)
    except ConfigError as error:
        raise UsageError(f"--{error.field.replace('_', '-')}: {error.reason}") from None
    out = args.out or Path("searches") / (Path(name).stem if args.space else name)
    from npnn.training.run_dir import is_run_dir

    check_folders("--out", out, "give a folder for the search")
    if is_run_dir(out):
        raise UsageError(f"--out: {out} is a run directory (made by `npnn train`); give a folder "
                         "for the search")
    return SearchOptions(out=out, space=space, space_source=name, sampler=args.sampler,
                         seed=args.sampler_seed, trials=args.trials, jobs=args.jobs, prune=args.prune,
                         storage=args.storage, study=args.study, overrides=overrides,
                         **({} if args.max_grid is None else {"max_grid": args.max_grid}))


def _echo(line: str) -> None:
    print(line, flush=True)
