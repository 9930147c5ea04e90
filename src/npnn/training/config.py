"""`TrainConfig`: everything that defines a training run, validated on construction."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from npnn.models import ACTIVATIONS

OPTIMIZERS = ("adam", "adamw", "sgd")
REGULARIZATIONS = ("none", "l1", "l2")
SCHEDULES = ("constant", "cosine", "step")
VAL_SPLITS = ("tail", "stratified")


class ConfigError(ValueError):
    """An invalid configuration value; `field` names the offending TrainConfig field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


@dataclass
class TrainConfig:
    """A training run on Fashion-MNIST. The defaults train a strong MLP in about a minute."""

    # model
    hidden: list[int] = field(default_factory=lambda: [512, 256])
    activation: str = "relu"
    dropout: float = 0.2
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
    # data
    data_dir: str | None = None
    standardize: bool = True
    augment: bool = False
    val_split: str = "tail"
    train_subset: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        self.hidden = list(self.hidden)
        self.validate()

    def validate(self) -> None:
        """Raise ConfigError naming the first invalid field and what is allowed."""
        if not self.hidden:
            raise ConfigError("hidden", "needs at least one hidden layer size, e.g. 256 128")
        if any(not isinstance(h, int) or isinstance(h, bool) or h < 1 for h in self.hidden):
            raise ConfigError("hidden", f"sizes must be positive integers, got {self.hidden}")
        _choice(self, "activation", tuple(ACTIVATIONS))
        _choice(self, "optimizer", OPTIMIZERS)
        _choice(self, "regularization", REGULARIZATIONS)
        _choice(self, "schedule", SCHEDULES)
        _choice(self, "val_split", VAL_SPLITS)
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
        if self.clip_grad_norm is not None:
            _number(self, "clip_grad_norm", low=0.0, low_open=True)
        if self.patience is not None:
            _integer(self, "patience", low=1)
        if self.train_subset is not None:
            _integer(self, "train_subset", low=1)
        if self.nesterov and (self.optimizer != "sgd" or self.momentum <= 0):
            raise ConfigError("nesterov", "needs --optimizer sgd with --momentum > 0")
        if self.regularization != "none" and self.reg_strength == 0:
            raise ConfigError("reg_strength", f"must be > 0 with regularization {self.regularization!r}")

    # ----- JSON round trip -----
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(unknown[0], f"unknown setting; known settings are {sorted(known)}")
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "config") -> TrainConfig:
        try:
            values = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError("config", f"{source} is not valid JSON: {error}") from None
        if not isinstance(values, dict):
            raise ConfigError("config", f"{source} must hold a JSON object of settings")
        return cls.from_dict(values)

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError("config", f"cannot read {path}: {error.strerror}") from None
        return cls.from_json(text, source=str(path))

    def replace(self, **changes: Any) -> TrainConfig:
        """A validated copy with some fields changed."""
        return TrainConfig.from_dict({**self.to_dict(), **changes})


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
