"""`npnn train`: train an MLP on Fashion-MNIST into a run directory (or resume one)."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
from pathlib import Path
from typing import Any

from npnn.cli.config_flags import add_config_flags, config_overrides
from npnn.cli.errors import UsageError


def register(commands: Any) -> None:

    parser = commands.add_parser("train", help="train an MLP on Fashion-MNIST",
                                 description=__doc__ + " Defaults train a strong model.",
                                 )
    add_config_flags(parser.add_argument_group("training settings (override --config)"))
    run_group = parser.add_argument_group("run")
    run_group.add_argument("--config", type=Path, help="JSON file of settings (see a run's config.json)")
    run_group.add_argument("--out", type=Path, default=Path("runs"), help="folder of run directories")
    run_group.add_argument("--run-id", help="name of the run directory (default: time and config hash)")
    run_group.add_argument("--resume", type=Path, metavar="RUN_DIR",
                           help="continue an interrupted run exactly where it stopped")
    run_group.add_argument("--no-test", action="store_true",
                           help="skip testing the best checkpoint on the test split at the end")
    run_group.add_argument("--quiet", action="store_true", help="print only the final summary")
    parser.set_defaults(run=run)


def _config_from(args: argparse.Namespace) -> Any:
    from npnn.training import ConfigError, TrainConfig

    names = {field.name for field in dataclasses.fields(TrainConfig)}
    overrides = config_overrides(args)
    try:
        base = TrainConfig.load(args.config).to_dict() if args.config else {}
        return TrainConfig.from_dict({**base, **overrides})
    except ConfigError as error:
        flag = "--" + error.field.replace("_", "-") if error.field in names else "--config"
        raise UsageError(f"{flag}: {error.reason}") from None


def run(args: argparse.Namespace) -> int:
    from npnn.cli.progress import TqdmReporter
    from npnn.training import Trainer

    reporter = TqdmReporter(quiet=args.quiet)
    if args.resume:
        if args.config or config_overrides(args):
            raise UsageError("--resume continues a run with its own config.json; drop other settings")
        trainer = Trainer.resume(args.resume, reporter=reporter)
    else:
        trainer = Trainer.create(_config_from(args), args.out, args.run_id, reporter=reporter)
    previous = signal.signal(signal.SIGINT, _stop_handler(trainer))
    try:
        result = trainer.fit()
    finally:
        signal.signal(signal.SIGINT, previous)
    return _summarize(trainer, result, test=not args.no_test)


def _stop_handler(trainer: Any) -> Any:
    """First Ctrl-C: stop cleanly after this step; a second one aborts at once."""

    def handler(signum: int, frame: Any) -> None:
        print("\nstopping after this step and saving a checkpoint (Ctrl-C again to abort)",
              file=sys.stderr)
        trainer.request_stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    return handler


def _summarize(trainer: Any, result: Any, test: bool) -> int:
    from npnn.cli.test_command import print_report
    from npnn.training.evaluation import test_run

    run_dir = result.run_dir
    if result.status == "interrupted":
        print(f"interrupted at step {result.steps}; resume with: npnn train --resume {run_dir}",
              file=sys.stderr)
        return 130
    if result.status == "diverged":
        print(f"npnn train: error: {result.detail['reason']}; try a smaller --lr "
              f"(run directory: {run_dir})", file=sys.stderr)
        return 1
    best = result.best
    print(f"{result.status.replace('_', ' ')}: {result.steps} steps in {result.seconds:.1f}s; "
          f"best validation accuracy {best.val_accuracy:.2%} at step {best.step}")
    if test:
        print_report(test_run(run_dir, "test"), brief=True)
    print(f"run directory: {run_dir}")
    return 0
