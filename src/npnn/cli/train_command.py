"""`npnn train`: train an MLP (or, with --model cnn, a CNN) on Fashion-MNIST into a run directory
(or resume one)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

from npnn.cli.config_flags import add_config_flags, config_overrides, flag_name
from npnn.cli.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, UsageError, check_folders
from npnn.cli.progress import TqdmReporter
from npnn.cli.test_command import print_report
from npnn.training import ConfigError, FitResult, RunCompleteError, TrainConfig, Trainer
from npnn.training.config import parse_settings, read_settings_text
from npnn.training.evaluation import evaluate_run
from npnn.training.run_dir import DIVERGED, INTERRUPTED, is_run_dir
from npnn.training.stop_signals import StopSignals, signal_name

DEFAULT_OUT = Path("runs")


def register(commands: Any) -> None:

    parser = commands.add_parser("train", help="train an MLP or a CNN on Fashion-MNIST",
                                 description=__doc__ + " Defaults train a strong model.",
                                 )
    add_config_flags(parser.add_argument_group("training settings (override --config)"))
    run_group = parser.add_argument_group("run")
    run_group.add_argument("--config", type=Path, help="JSON file of settings (see a run's config.json)")
    run_group.add_argument("--out", type=Path, help=f"folder of run directories (default: {DEFAULT_OUT})")
    run_group.add_argument("--run-id", help="name of the run directory (default: time and config hash)")
    run_group.add_argument("--resume", type=Path, metavar="RUN_DIR",
                           help="continue an interrupted run exactly where it stopped")
    run_group.add_argument("--force", action="store_true",
                           help="with --resume: continue although the settings changed (setting "
                                "flags and --config then change the run's config.json); the "
                                "model's shape, optimizer, batch size and data cannot change")
    run_group.add_argument("--no-test", action="store_true",
                           help="skip testing the best checkpoint on the test split at the end")
    run_group.add_argument("--quiet", action="store_true", help="print only the final summary")
    parser.set_defaults(run=run)


def _config_from(args: argparse.Namespace) -> tuple[TrainConfig, dict[str, Any]]:
    """The run's TrainConfig (--config, then the setting flags over it), and the settings read
    from --config (to blame errors on)."""
    base = _settings_file(args)
    try:
        return TrainConfig.from_dict({**base, **config_overrides(args)}), base
    except ConfigError as error:
        raise _blame(error, args, base) from None


def _settings_file(args: argparse.Namespace) -> dict[str, Any]:
    """The settings in --config (unvalidated), {} without it; UsageError naming the file."""
    if not args.config:
        return {}
    try:
        return parse_settings(read_settings_text(args.config), str(args.config))
    except ConfigError as error:
        raise UsageError(f"--config {error}") from None


def _blame(error: ConfigError, args: argparse.Namespace, base: dict[str, Any]) -> UsageError:
    """Name the --config file and field when the value came from the file, else the flag."""
    if error.field in base and error.field not in config_overrides(args):
        return UsageError(f"{args.config}: {error.field}: {error.reason}")
    return UsageError(f"{flag_name(error.field)}: {error.reason}")


def _check_run_flags(args: argparse.Namespace) -> Path:
    """The --out folder, after refusing an --out that is a file or a --run-id that is a path."""
    out = args.out or DEFAULT_OUT
    check_folders("--out", out, "give a folder to hold run directories")
    if is_run_dir(out):
        raise UsageError(f"--out: {out} is a run directory; give the folder that holds run "
                         f"directories (to continue this run: --resume {out})")
    run_id = args.run_id
    if run_id is not None and (run_id in ("", ".", "..") or Path(run_id).name != run_id
                               or "/" in run_id or "\\" in run_id):
        raise UsageError(f"--run-id: {run_id!r} is not a plain folder name; put parent folders in --out")
    return out


def run(args: argparse.Namespace) -> int:
    reporter = TqdmReporter(quiet=args.quiet)
    if args.force and not args.resume:
        raise UsageError("--force only applies to --resume")
    if args.resume:
        try:
            trainer = _resume(args, reporter)
        except RunCompleteError as done:
            print(done)
            return EXIT_OK
        if trainer.restarted:
            print(f"npnn train: {trainer.restarted}", file=sys.stderr)
    else:
        out = _check_run_flags(args)
        config, base = _config_from(args)
        try:
            trainer = Trainer.create(config, out, args.run_id, reporter=reporter)
        except ConfigError as error:  # a setting only the data or the machine can refute
            raise _blame(error, args, base) from None
    with trainer, StopSignals(trainer) as stop:
        result = trainer.fit()
    if result.status == INTERRUPTED and stop.signal not in (0, signal.SIGINT):
        with contextlib.suppress(OSError):  # the terminal may have hung up (SIGHUP)
            print(f"stopped by {signal_name(stop.signal)} at step {result.steps}; resume with: "
                  f"npnn train --resume {result.run_dir}", file=sys.stderr)
        return 128 + stop.signal
    return _summarize(result, test=not args.no_test)


def _resume(args: argparse.Namespace, reporter: Any) -> Trainer:
    """Trainer.resume; with --force, setting flags and --config are overrides of the run's
    settings, which the trainer writes to config.json once it knows they can continue the run."""
    given = [flag for flag, value in (("--out", args.out), ("--run-id", args.run_id)) if value is not None]
    changes = [flag_name(name) for name in config_overrides(args)]
    changes += ["--config"] if args.config is not None else []
    if given or (changes and not args.force):
        raise UsageError(f"--resume continues a run in its own directory with its own config.json; "
                         f"drop {', '.join(given + changes)}"
                         + ("" if given else " (or add --force to change those settings)"))
    if not changes:
        return Trainer.resume(args.resume, reporter=reporter, force=args.force)
    base = _settings_file(args)
    try:
        trainer = Trainer.resume(args.resume, reporter=reporter, force=True,
                                 overrides={**base, **config_overrides(args)})
    except ConfigError as error:  # a value given here that the run cannot take or continue with
        if error.source is not None:
            raise
        raise _blame(error, args, base) from None
    print(f"resuming with changed settings (--force): {'; '.join(trainer.changed_settings) or 'none'}",
          file=sys.stderr)
    return trainer


def _summarize(result: FitResult, test: bool) -> int:
    run_dir = result.run_dir
    if result.status == INTERRUPTED:
        print(f"interrupted at step {result.steps}; resume with: npnn train --resume {run_dir}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    if result.status == DIVERGED:
        print(f"npnn train: error: {result.detail['reason']}; try a smaller --lr "
              f"(run directory: {run_dir})", file=sys.stderr)
        return EXIT_FAILURE
    best = result.best
    line = f"{result.status.replace('_', ' ')}: {result.steps} steps in {result.seconds:.1f}s"
    if best is not None:
        line += f"; best validation accuracy {best.val_accuracy:.2%} at step {best.step}"
    print(line)
    if test and best is not None:
        print_report(evaluate_run(run_dir, "test"), brief=True)
    print(f"run directory: {run_dir}")
    print(f"next: npnn report {run_dir}  (curves, weights, confusion matrix in one HTML page)")
    return EXIT_OK
