"""`npnn search` at work: the search itself and `--summary`. Optuna loads here (with npnn.search),
when the command runs; search_command.py defines the command's flags without it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from npnn.cli.config_flags import config_overrides
from npnn.cli.errors import UsageError, check_folders
from npnn.search import (
    ResultsError,
    SearchError,
    SearchOptions,
    SpaceError,
    load_space,
    preset,
    read_csv,
    run_search,
    search_options,
    summary,
)
from npnn.search.results import trial_rows, write_csv
from npnn.search.study import load_trials, masked_url
from npnn.training import ConfigError
from npnn.training.run_dir import is_run_dir
from npnn.training.stop_signals import signal_name


def run(args: argparse.Namespace) -> int:
    if args.top < 1:
        raise UsageError(f"--top must be at least 1, got {args.top}")
    if args.summary is not None and args.storage:
        return _summary_from_storage(args)
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


def _summary_from_storage(args: argparse.Namespace) -> int:
    """--summary DIR --storage URL: every trial of the shared study, whichever machine trained it,
    written into DIR/search_result.csv (which `npnn report DIR` reads) and summarized."""
    try:
        rows = trial_rows(load_trials(args.storage, args.study))
    except SearchError as error:
        raise UsageError(str(error)) from None
    csv = args.summary / "search_result.csv" if args.summary.suffix != ".csv" else args.summary
    csv.parent.mkdir(parents=True, exist_ok=True)
    write_csv(csv, rows)
    print(summary(rows, top=args.top))
    print(f"{len(rows)} trials of study {args.study!r} in {masked_url(args.storage)}; written to {csv}")
    return 0


def _options(args: argparse.Namespace) -> SearchOptions:
    if args.preset and args.space:
        raise UsageError("give --preset or --space, not both")
    name = str(args.space) if args.space else (args.preset or "original-2")
    space = load_space(str(args.space)) if args.space else preset(name)
    out = args.out or Path("searches") / (Path(name).stem if args.space else name)
    try:  # the overrides are checked against the space's first configuration
        options = search_options(space, out, trials=args.trials, jobs=args.jobs, sampler=args.sampler,
                                 sampler_seed=args.sampler_seed, prune=args.prune, storage=args.storage,
                                 study=args.study, max_grid=args.max_grid, source=name,
                                 population_size=1 if args.no_population else args.population_size,
                                 **config_overrides(args))
    except ConfigError as error:
        raise UsageError(f"--{error.field.replace('_', '-')}: {error.reason}") from None
    check_folders("--out", out, "give a folder for the search")
    if is_run_dir(out):
        raise UsageError(f"--out: {out} is a run directory (made by `npnn train`); give a folder "
                         "for the search")
    return options


def _echo(line: str) -> None:
    print(line, flush=True)
