"""`npnn train`: train an MLP on Fashion-MNIST into a run directory (or resume one)."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import types
import typing
from pathlib import Path
from typing import Any

from npnn.cli.errors import UsageError

HELP = {
    "hidden": "hidden layer sizes, e.g. --hidden 256 128",
    "activation": "relu, leaky_relu, elu, gelu, sigmoid or tanh",
    "dropout": "dropout probability after each hidden layer",
    "optimizer": "adam, adamw or sgd",
    "lr": "learning rate",
    "batch_size": "examples per step",
    "epochs": "passes over the training split",
    "momentum": "SGD momentum",
    "nesterov": "Nesterov momentum (SGD)",
    "weight_decay": "optimizer weight decay (PyTorch's meaning; decoupled for adamw)",
    "regularization": "penalty added to the loss: none, l1 or l2 (the original's)",
    "reg_strength": "strength λ of the penalty: λ·Σw² (l2) or λ·Σ|w| (l1)",
    "label_smoothing": "label smoothing of the NLL loss",
    "schedule": "learning-rate schedule per step: constant, cosine or step",
    "warmup_steps": "linear learning-rate warm-up steps",
    "step_epochs": "epochs between decays of the step schedule",
    "step_gamma": "decay factor of the step schedule",
    "clip_grad_norm": "clip the gradient norm to this value",
    "eval_every": "also evaluate every N steps (0: at epoch ends only)",
    "patience": "stop after N evaluations without a better validation accuracy",
    "data_dir": "folder with the Fashion-MNIST files (default: search, then download)",
    "standardize": "standardize pixels with the training split's mean and std",
    "augment": "shift training images randomly by up to 2 pixels",
    "val_split": "tail (last 12,000 of the training file, as the original) or stratified",
    "train_subset": "train on the first N training images (quick experiments)",
    "seed": "seed of initialization, dropout and shuffling",
}


def register(commands: Any) -> None:
    from npnn.training import TrainConfig

    parser = commands.add_parser("train", help="train an MLP on Fashion-MNIST",
                                 description=__doc__ + " Defaults train a strong model.",
                                 )
    defaults = TrainConfig()
    hints = typing.get_type_hints(TrainConfig)
    settings = parser.add_argument_group("training settings (override --config)")
    for field in dataclasses.fields(TrainConfig):
        _add_field(settings, field.name, hints[field.name], getattr(defaults, field.name))
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


def _add_field(group: Any, name: str, hint: Any, default: Any) -> None:
    """One flag per TrainConfig field; unset flags stay absent so --config values survive."""
    flag = "--" + name.replace("_", "-")
    kind = _base_type(hint)
    common = {"dest": name, "default": argparse.SUPPRESS, "help": f"{HELP[name]} (default: {default})"}
    if kind is bool:
        group.add_argument(flag, action=argparse.BooleanOptionalAction, **common)
    elif kind is list:
        group.add_argument(flag, type=int, nargs="+", metavar="N", **common)
    else:
        group.add_argument(flag, type=kind, metavar=name.upper(), **common)


def _base_type(hint: Any) -> type:
    """int, float, str, bool or list from hints such as `int | None` or `list[int]`."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
        origin = typing.get_origin(hint)
    return list if origin is list else hint


def _config_from(args: argparse.Namespace) -> Any:
    from npnn.training import ConfigError, TrainConfig

    names = {field.name for field in dataclasses.fields(TrainConfig)}
    overrides = {name: getattr(args, name) for name in names if hasattr(args, name)}
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
        if args.config or any(hasattr(args, f) for f in HELP):
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
