"""Command-line flags for every TrainConfig field, shared by `npnn train` and `npnn search`."""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from typing import Any

from npnn.training import TrainConfig
from npnn.training.config import MODEL_DEFAULTS

HELP = {
    "model": "mlp (reads --hidden) or cnn (--channels, --kernel-size, --cnn-hidden, --batch-norm, --pool)",
    "hidden": "MLP hidden layer sizes, e.g. --hidden 256 128",
    "activation": "relu, leaky_relu, elu, gelu, sigmoid or tanh",
    "dropout": "dropout probability after each hidden Linear layer",
    "channels": "CNN output channels per block (conv, activation, pool 2), e.g. --channels 32 64",
    "kernel_size": "CNN convolution kernel size (odd; padded to keep the image size)",
    "convs_per_block": "CNN convolutions (each with batch norm and activation) before each pooling",
    "cnn_hidden": "CNN hidden Linear sizes after the blocks, e.g. --cnn-hidden 128",
    "batch_norm": "CNN: BatchNorm2d after each convolution (which then has no bias)",
    "pool": "CNN pooling by 2 after each block: max or avg",
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
    "clip_grad_norm": "clip the gradient norm to this value (default: no clipping)",
    "eval_every": "also evaluate every N steps (0: at epoch ends only)",
    "patience": "stop after N evaluations without a better validation accuracy (default: never)",
    "on_nonfinite": "a NaN/inf training loss: stop (the run is 'diverged') or skip (that step, no update)",
    "data_dir": "folder with the Fashion-MNIST files (default: search, then download)",
    "standardize": "standardize pixels with the training split's mean and std",
    "augment": "augment the training images: shift (and flip, erase) as the --augment-* flags say",
    "augment_shift": "with --augment: shift by up to N pixels (a random crop with padding N)",
    "augment_flip": "with --augment: mirror half of the images left-right",
    "augment_erase": "with --augment: probability of erasing a random rectangle of an image",
    "val_split": "tail (the last images of the training file, as the original) or stratified",
    "val_fraction": "share of the training file held out for validation (0.2: 12,000 images)",
    "split_seed": "seed of the stratified validation split (default: --seed)",
    "train_subset": "train on the first N training images, for quick experiments (default: all)",
    "seed": "seed of initialization, dropout and shuffling",
}


def add_config_flags(group: Any) -> None:
    """One flag per TrainConfig field; unset flags stay absent so other sources survive."""
    defaults = TrainConfig()
    hints = typing.get_type_hints(TrainConfig)
    for field in dataclasses.fields(TrainConfig):
        _add_field(group, field.name, hints[field.name], getattr(defaults, field.name))


def config_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The TrainConfig fields given on the command line."""
    return {field.name: getattr(args, field.name) for field in dataclasses.fields(TrainConfig)
            if hasattr(args, field.name)}


def flag_name(field: str) -> str:
    """The command-line flag of a TrainConfig field: train_subset -> --train-subset."""
    return "--" + field.replace("_", "-")


def _add_field(group: Any, name: str, hint: Any, default: Any) -> None:
    flag = flag_name(name)
    kind = _base_type(hint)
    common = {"dest": name, "default": argparse.SUPPRESS, "help": _help(name, flag, default)}
    if kind is bool:
        group.add_argument(flag, action=argparse.BooleanOptionalAction, **common)
    elif kind is list:
        group.add_argument(flag, type=int, nargs="+", metavar="N", **common)
    else:
        group.add_argument(flag, type=kind, metavar=name.upper(), **common)


def _help(name: str, flag: str, default: Any) -> str:
    """HELP[name] with TrainConfig's default said once (the flags' own default is SUPPRESS, so
    argparse cannot): where HELP does not say it already, as the flag to write (--no-augment) for
    a switch. Every None default is said in HELP in words."""
    text = HELP[name]
    if "default" in text:
        return text
    if isinstance(default, bool):
        default = flag if default else "--no-" + flag[2:]
    elif isinstance(default, list):
        default = " ".join(map(str, default))
    per_model = "".join(f"; {_shown(values[name], flag)} with --model {model}"
                        for model, values in MODEL_DEFAULTS.items() if name in values)
    return f"{text} (default: {default}{per_model})"


def _shown(value: Any, flag: str) -> str:
    """A default as the user writes it: the flag of a switch, a number in short form."""
    if isinstance(value, bool):
        return flag if value else "--no-" + flag[2:]
    return f"{value:g}" if isinstance(value, float) else str(value)


def _base_type(hint: Any) -> type:
    """int, float, str, bool or list from hints such as `int | None` or `list[int]`."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
        origin = typing.get_origin(hint)
    return list if origin is list else hint
