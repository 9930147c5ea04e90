"""`TrainConfig`: everything that defines a training run, validated on construction."""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from npnn.data.load import VAL_SPLITS
from npnn.models import ACTIVATIONS, POOLS
from npnn.serialization import JSONFormatError, is_special_file, parse_json

MODELS = ("mlp", "cnn")
OPTIMIZERS = ("adam", "adamw", "sgd")
REGULARIZATIONS = ("none", "l1", "l2")
SCHEDULES = ("constant", "cosine", "step")
ON_NONFINITE = ("stop", "skip")
IMAGE_SIDE = 28
MAX_SHIFT = 8
SIZE_LISTS = {"hidden": [256, 128], "channels": [32, 64], "cnn_hidden": [128]}  # with an example each
WHOLE_FILE = "config"  # ConfigError.field when the file itself is at fault (unreadable, not JSON)
# settings both models read whose best default differs for the CNN: from_dict (and so `npnn train
# --model cnn` and a search with model = "cnn") takes these where a setting is not given
MODEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "cnn": {"epochs": 12, "lr": 2e-3, "dropout": 0.5, "batch_norm": True},
}


class ConfigError(ValueError):
    """An invalid configuration value; `field` names the offending TrainConfig field (or
    WHOLE_FILE), `source` the JSON file it came from, if any."""

    def __init__(self, field: str, message: str, source: str | None = None) -> None:
        where = [source] if source else []
        where += [] if field == WHOLE_FILE else [field]
        super().__init__(": ".join([*where, message]))
        self.field, self.reason, self.source = field, message, source

    def in_file(self, source: str | Path) -> ConfigError:
        """The same error, blamed on the file `source`."""
        return ConfigError(self.field, self.reason, str(source))


@dataclass
class TrainConfig:
    """A training run on Fashion-MNIST. The defaults train a strong MLP in about 25 s (2 cores);
    `model="cnn"` trains a small CNN instead. `TrainConfig.from_dict({"model": "cnn"})` (as
    `npnn train --model cnn`) also gives the CNN its own defaults of the settings both models
    read (MODEL_DEFAULTS: epochs, lr, dropout, batch norm); the constructor keeps the MLP's."""

    # model: the MLP reads `hidden`; the CNN reads channels, kernel_size, convs_per_block,
    # cnn_hidden, batch_norm and pool; both read activation and dropout (after each hidden Linear)
    model: str = "mlp"
    hidden: list[int] = field(default_factory=lambda: [512, 256])
    activation: str = "relu"
    dropout: float = 0.2
    channels: list[int] = field(default_factory=lambda: [32, 64, 128])
    kernel_size: int = 3
    convs_per_block: int = 1  # 2: VGG-style blocks of two convolutions before each pooling
    cnn_hidden: list[int] = field(default_factory=lambda: [256])
    batch_norm: bool = False
    pool: str = "max"
    # optimization
    optimizer: str = "adam"
    lr: float = 1e-3
    batch_size: int = 128
    epochs: int = 20
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    regularization: str = "none"
    reg_strength: float = 0.0
    label_smoothing: float = 0.1
    schedule: str = "cosine"
    warmup_steps: int = 0
    step_epochs: int = 10
    step_gamma: float = 0.1
    clip_grad_norm: float | None = None
    # evaluation and stopping
    eval_every: int = 0
    patience: int | None = None
    on_nonfinite: str = "stop"  # a NaN/inf loss: stop the run as 'diverged', or skip that step
    # data
    data_dir: str | None = None
    standardize: bool = True
    augment: bool = False
    augment_shift: int = 2  # random crop with this padding: a shift of up to N pixels
    augment_flip: bool = False
    augment_erase: float = 0.0  # probability of random erasing per image
    val_split: str = "tail"
    val_fraction: float = 0.2  # share of the training file held out for validation
    split_seed: int | None = None  # seed of the stratified split; None: use `seed`
    train_subset: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        for name, example in SIZE_LISTS.items():
            value = getattr(self, name)
            if not isinstance(value, (list, tuple)):
                raise ConfigError(name, f"must be a list of sizes such as {example}, got {value!r}")
            setattr(self, name, list(value))
        self.validate()

    @property
    def val_split_seed(self) -> int:
        """The seed that draws the stratified validation split."""
        return self.seed if self.split_seed is None else self.split_seed

    def data_options(self) -> dict[str, Any]:
        """The keyword arguments of `load_fashion_mnist` that every split of this run shares."""
        return {"data_dir": self.data_dir, "standardize": self.standardize,
                "val_split": self.val_split, "seed": self.val_split_seed,
                "val_fraction": self.val_fraction}

    def validate(self) -> None:
        """Raise ConfigError naming the first invalid field and what is allowed."""
        for name, example in SIZE_LISTS.items():
            sizes = getattr(self, name)
            if not sizes:
                raise ConfigError(name, f"needs at least one size, e.g. {' '.join(map(str, example))}")
            if any(not isinstance(h, int) or isinstance(h, bool) or h < 1 for h in sizes):
                raise ConfigError(name, f"sizes must be positive integers, got {sizes}")
        _choice(self, "model", MODELS)
        _choice(self, "activation", tuple(ACTIVATIONS))
        _choice(self, "pool", tuple(POOLS))
        _choice(self, "optimizer", OPTIMIZERS)
        _choice(self, "regularization", REGULARIZATIONS)
        _choice(self, "schedule", SCHEDULES)
        _choice(self, "val_split", VAL_SPLITS)
        _choice(self, "on_nonfinite", ON_NONFINITE)
        _number(self, "lr", low=0.0, low_open=True)
        _number(self, "dropout", low=0.0, high=1.0, high_open=True)
        _number(self, "momentum", low=0.0, high=1.0, high_open=True)
        _number(self, "weight_decay", low=0.0)
        _number(self, "reg_strength", low=0.0)
        _number(self, "label_smoothing", low=0.0, high=1.0)
        _number(self, "step_gamma", low=0.0, low_open=True)
        _integer(self, "batch_size", low=1)
        _integer(self, "epochs", low=1)
        _integer(self, "warmup_steps", low=0)
        _integer(self, "step_epochs", low=1)
        _integer(self, "eval_every", low=0)
        _integer(self, "seed", low=0)
        _integer(self, "kernel_size", low=1)
        _integer(self, "convs_per_block", low=1)
        _integer(self, "augment_shift", low=0)
        _number(self, "augment_erase", low=0.0, high=1.0)
        _number(self, "val_fraction", low=0.0, high=1.0, low_open=True, high_open=True)
        for name in ("nesterov", "standardize", "augment", "augment_flip", "batch_norm"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(name, f"must be true or false, got {getattr(self, name)!r}")
        if self.clip_grad_norm is not None:
            _number(self, "clip_grad_norm", low=0.0, low_open=True)
        if self.patience is not None:
            _integer(self, "patience", low=1)
        if self.train_subset is not None:
            _integer(self, "train_subset", low=1)
        if self.split_seed is not None:
            _integer(self, "split_seed", low=0)
        if self.data_dir is not None and (not isinstance(self.data_dir, str) or "\0" in self.data_dir):
            raise ConfigError("data_dir", f"must be a folder name without NUL characters (a string), got "
                              f"{self.data_dir!r}")
        if self.nesterov and (self.optimizer != "sgd" or self.momentum <= 0):
            raise ConfigError("nesterov", "needs --optimizer sgd with --momentum > 0")
        self._validate_cnn()
        self._validate_augment()
        if self.regularization != "none" and self.reg_strength == 0:
            raise ConfigError("reg_strength", f"must be > 0 with regularization {self.regularization!r}")

    def _validate_cnn(self) -> None:
        if self.kernel_size % 2 == 0:
            raise ConfigError("kernel_size", f"must be odd (padding (k-1)/2 keeps the image size), "
                              f"got {self.kernel_size}")
        if self.kernel_size > IMAGE_SIDE:
            raise ConfigError("kernel_size", f"must be at most {IMAGE_SIDE} (the image side), got "
                              f"{self.kernel_size}")
        if IMAGE_SIDE >> len(self.channels) < 1:
            raise ConfigError("channels", f"{len(self.channels)} blocks each halve the image: "
                              f"28×28 allows at most {IMAGE_SIDE.bit_length() - 1}")
        if self.model != "cnn" and self.batch_norm:
            raise ConfigError("batch_norm", "applies to --model cnn only")
        if self.model != "cnn" and self.convs_per_block != 1:
            raise ConfigError("convs_per_block", "applies to --model cnn only")

    def _validate_augment(self) -> None:
        if self.augment_shift > MAX_SHIFT:
            raise ConfigError("augment_shift", f"must be at most {MAX_SHIFT} pixels (more shifts garments "
                              f"out of the 28×28 frame), got {self.augment_shift}")
        if not self.augment:
            for option in dataclasses.fields(self):
                name = option.name
                if name.startswith("augment_") and getattr(self, name) != option.default:
                    raise ConfigError(name, "applies only with --augment: add it, or leave this out")

    # ----- JSON round trip -----
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            close = difflib.get_close_matches(unknown[0], known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known settings are {sorted(known)}"
            raise ConfigError(unknown[0], f"unknown setting; {hint}")
        return cls(**{**cls.defaults(values.get("model", "mlp")), **values})

    @classmethod
    def defaults(cls, model: Any = "mlp") -> dict[str, Any]:
        """Every setting's default for `model`: the MLP's, with MODEL_DEFAULTS[model] over them."""
        return {**cls().to_dict(), **(MODEL_DEFAULTS.get(model, {}) if isinstance(model, str) else {})}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "config") -> TrainConfig:
        """Parse and validate; errors name `source` as well as the field."""
        values = parse_settings(text, source)
        try:
            return cls.from_dict(values)
        except ConfigError as error:
            raise error.in_file(source) from None

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        return cls.from_json(read_settings_text(path), source=str(path))

    def replace(self, **changes: Any) -> TrainConfig:
        """A validated copy with some fields changed. Only those: `replace(model="cnn")` keeps
        this config's epochs, lr, dropout and batch norm (use `TrainConfig.from_dict({"model":
        "cnn", ...})` for the CNN's own defaults, MODEL_DEFAULTS)."""
        return TrainConfig.from_dict({**self.to_dict(), **changes})

    def with_resolved_data_dir(self) -> TrainConfig:
        """This config with data_dir made absolute (as run directories store it), so the run can
        be tested from anywhere."""
        if self.data_dir is None:
            return self
        # realpath, not Path.resolve: a symlink loop stays for the data loader to name
        return self.replace(data_dir=os.path.realpath(Path(self.data_dir).expanduser()))


def read_settings_text(path: str | Path) -> str:
    """The text of a settings file, or ConfigError naming it."""
    try:
        if is_special_file(path):
            raise ConfigError(WHOLE_FILE, "cannot read it: not a regular file", str(path))
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ConfigError(WHOLE_FILE, f"cannot read it: {reason}", str(path)) from None


def parse_settings(text: str, source: str) -> dict[str, Any]:
    """The JSON object of settings in `text`, unvalidated; ConfigError naming `source` otherwise."""
    try:
        values = parse_json(text)
    except JSONFormatError as error:
        raise ConfigError(WHOLE_FILE, f"not valid JSON: {error}", source) from None
    if not isinstance(values, dict):
        raise ConfigError(WHOLE_FILE, "must hold a JSON object of settings, e.g. {\"lr\": 0.001}",
                          source)
    return values


def _choice(config: TrainConfig, name: str, allowed: tuple[str, ...]) -> None:
    value = getattr(config, name)
    if value not in allowed:
        raise ConfigError(name, f"must be one of {', '.join(allowed)}; got {value!r}")


def _number(config: TrainConfig, name: str, low: float | None = None, high: float | None = None,
            low_open: bool = False, high_open: bool = False) -> None:
    value = getattr(config, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(name, f"must be a finite number, got {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        raise ConfigError(name, f"must be {'>' if low_open else '>='} {low:g}, got {value:g}")
    if high is not None and (value >= high if high_open else value > high):
        raise ConfigError(name, f"must be {'<' if high_open else '<='} {high:g}, got {value:g}")


def _integer(config: TrainConfig, name: str, low: int) -> None:
    value = getattr(config, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(name, f"must be an integer, got {value!r}")
    if value < low:
        raise ConfigError(name, f"must be >= {low}, got {value}")
