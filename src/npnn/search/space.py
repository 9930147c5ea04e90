"""Search spaces: which TrainConfig fields a search varies, and how Optuna samples them.

A parameter is either a list of `choices` or a numeric range (`low`, `high`, optional `log`
or `step`). A choice may be a table of several fields that vary together, such as the
original grids' (hidden layout, batch size) pairs or (regularization, strength) pairs; Optuna
sees such a choice as a compact JSON label.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from dataclasses import dataclass, field
from typing import Any

from npnn.serialization import is_number, is_special_file
from npnn.training.config import ConfigError, TrainConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_FIELDS = {f.name for f in dataclasses.fields(TrainConfig)}
MAX_COUNT = 10**15  # values of one range counted as "more than this" (a step far too small)
SAMPLERS = ("grid", "random", "tpe")


class SpaceError(ValueError):
    """A search space that cannot be used; the message says which parameter and why."""


@dataclass(frozen=True)
class Param:
    """One searched parameter: categorical `choices`, or a range from `low` to `high`."""

    name: str
    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None

    @property
    def is_int(self) -> bool:
        return all(isinstance(v, int) and not isinstance(v, bool)
                   for v in (self.low, self.high, self.step) if v is not None)

    def labels(self) -> list[Any]:
        """The values Optuna stores: scalars as they are, tables as JSON labels."""
        if self.choices is None:
            return self._range_values()
        return [_label(choice) for choice in self.choices]

    def count(self) -> int:
        """How many values a grid takes of this parameter, counted without listing them."""
        if self.choices is not None:
            return len(self.choices)
        if self.step is None:
            raise SpaceError(f"params.{self.name}: a grid needs `choices` or a range with `step`")
        steps = (self.high - self.low) / self.step
        return MAX_COUNT if steps >= MAX_COUNT else math.floor(steps * (1 + 1e-12) + 1e-9) + 1

    def _range_values(self) -> list[Any]:
        self.count()  # a range without a step has no grid
        values, current = [], self.low
        while current <= self.high + 1e-12 * abs(self.high):
            values.append(round(current, 12) if not self.is_int else int(current))
            current += self.step
        return values

    def suggest(self, trial: Any) -> Any:
        """Ask an Optuna trial for this parameter's label/value."""
        if self.choices is not None:
            return trial.suggest_categorical(self.name, self.labels())
        if self.is_int:
            return trial.suggest_int(self.name, self.low, self.high, step=self.step or 1, log=self.log)
        return trial.suggest_float(self.name, self.low, self.high, step=self.step, log=self.log)


def _label(choice: Any) -> Any:
    if isinstance(choice, dict):
        return json.dumps(choice, sort_keys=True, separators=(",", ":"))
    if isinstance(choice, (list, tuple)):
        return json.dumps(list(choice), separators=(",", ":"))
    return choice


def decode(name: str, value: Any) -> dict[str, Any]:
    """TrainConfig fields set by one parameter's label/value."""
    if isinstance(value, str) and value[:1] in "{[":
        decoded = json.loads(value)
        return decoded if isinstance(decoded, dict) else {name: decoded}
    return {name: value}


@dataclass
class SearchSpace:
    """Fixed settings plus searched parameters, with the sampler a preset suggests."""

    params: list[Param]
    fixed: dict[str, Any] = field(default_factory=dict)
    sampler: str = "grid"
    description: str = ""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        names = set()
        for param in self.params:
            if param.name in names:
                raise SpaceError(f"params.{param.name} is listed twice")
            names.add(param.name)
            _check_param(param)
        unknown = sorted(set(self.fixed) - CONFIG_FIELDS)
        if unknown:
            raise SpaceError(f"fixed setting {unknown[0]!r} is not a TrainConfig field")
        if self.sampler not in SAMPLERS:
            raise SpaceError(f"sampler must be one of {', '.join(SAMPLERS)}, got {self.sampler!r}")

    def grid(self) -> dict[str, list[Any]]:
        """Optuna GridSampler's search space (every parameter as a list of values)."""
        return {param.name: param.labels() for param in self.params}

    def grid_size(self) -> int:
        return math.prod(param.count() for param in self.params)

    def check_grid_size(self, limit: int) -> None:
        """SpaceError for a grid of more than `limit` points, before anything lists it."""
        counts = {param.name: param.count() for param in self.params}
        size = math.prod(counts.values())
        if size > limit:
            biggest = max(counts, key=lambda name: counts[name])
            shown = f"{size:,}" if size < MAX_COUNT else f"more than {MAX_COUNT:,}"
            raise SpaceError(f"params.{biggest}: the grid has {shown} points ({counts[biggest]:,} values "
                             f"of {biggest}), more than the limit of {limit:,}: use fewer choices or "
                             f"a larger step, or allow it with --max-grid {min(size, MAX_COUNT)}")

    def values(self, params: dict[str, Any], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """The settings of one trial: fixed ones, then sampled ones, then overrides."""
        values = dict(self.fixed)
        for name, value in params.items():
            values.update(decode(name, value))
        values.update(overrides or {})
        return {**TrainConfig.defaults(values.get("model", "mlp")), **values}

    def config(self, params: dict[str, Any], overrides: dict[str, Any] | None = None) -> TrainConfig:
        """The validated TrainConfig of one trial."""
        return TrainConfig.from_dict(self.values(params, overrides))


def _check_param(param: Param) -> None:
    where = f"params.{param.name}"
    if param.choices is not None:
        if not param.choices:
            raise SpaceError(f"{where} has an empty list of choices")
        for choice in param.choices:
            fields = choice.keys() if isinstance(choice, dict) else [param.name]
            for name in fields:
                if name not in CONFIG_FIELDS:
                    raise SpaceError(f"{where}: {name!r} is not a TrainConfig field")
        return
    if param.name not in CONFIG_FIELDS:
        raise SpaceError(f"{where}: {param.name!r} is not a TrainConfig field")
    for key in ("low", "high", "step"):
        value = getattr(param, key)
        if value is not None and not (is_number(value) and math.isfinite(value)):
            raise SpaceError(f"{where}: {key} must be a finite number, got {value!r}")
    if param.step is not None and not param.step > 0:  # else the grid of the range never ends
        raise SpaceError(f"{where}: step must be > 0, got {param.step!r}")
    if not isinstance(param.log, bool):
        raise SpaceError(f"{where}: log must be true or false, got {param.log!r}")
    if param.low is None or param.high is None:
        raise SpaceError(f"{where} needs `choices`, or `low` and `high`")
    if param.low > param.high:
        raise SpaceError(f"{where}: low ({param.low!r}) must be <= high ({param.high!r})")
    if param.log and param.low <= 0:
        raise SpaceError(f"{where}: a log range needs low > 0")
    if param.log and param.step is not None:
        raise SpaceError(f"{where}: give `log = true` or `step`, not both (a log range has no steps)")


def space_from_dict(values: dict[str, Any], source: str) -> SearchSpace:
    """A SearchSpace from a parsed TOML/JSON document: [fixed], [params.NAME], `sampler`."""
    unknown = sorted(set(values) - {"fixed", "params", "sampler", "description"})
    if unknown:
        raise SpaceError(f"{source}: unknown top-level key {unknown[0]!r} "
                         "(use [fixed], [params.NAME], sampler, description)")
    for key in ("fixed", "params"):
        if not isinstance(values.get(key, {}), dict):
            raise SpaceError(f"{source}: `{key}` must be a table ([{key}]), got {values[key]!r}")
    params = []
    for name, spec in values.get("params", {}).items():
        if not isinstance(spec, dict):
            raise SpaceError(f"{source}: [params.{name}] must be a table with choices or low/high")
        extra = sorted(set(spec) - {"choices", "low", "high", "log", "step"})
        if extra:
            raise SpaceError(f"{source}: [params.{name}] has unknown key {extra[0]!r}")
        choices = spec.get("choices")
        if choices is not None and not isinstance(choices, list):  # a string would become letters
            raise SpaceError(f"{source}: [params.{name}]: choices must be a list, got {choices!r}")
        params.append(Param(name, tuple(choices) if choices is not None else None, spec.get("low"),
                            spec.get("high"), spec.get("log", False), spec.get("step")))
    try:
        space = SearchSpace(params, dict(values.get("fixed", {})), values.get("sampler", "tpe"),
                            values.get("description", ""))
        if not params:
            raise SpaceError("no [params.NAME] table: nothing to search (add one, e.g. [params.lr] "
                             "with choices = [0.001, 0.01])")
        first = {p.name: p.labels()[0] if p.choices else p.low for p in params}
        space.config(first)
    except SpaceError as error:
        raise SpaceError(f"{source}: {error}") from None
    except ConfigError as error:
        raise SpaceError(f"{source}: the first configuration is invalid: {error}") from None
    for param in params:  # each value once, the others as in the first configuration
        for value in param.labels() if param.choices else (param.low, param.high):
            try:
                space.config({**first, param.name: value})
            except ValueError as error:  # ConfigError, or a label that is not JSON
                raise SpaceError(f"{source}: params.{param.name}: the value {value!r} is invalid: "
                                 f"{error}") from None
    return space


def load_space(path: str) -> SearchSpace:
    """Read a search space from a TOML file."""
    try:
        if is_special_file(path):
            raise SpaceError(f"cannot read search space {path}: not a regular file")
        with open(path, "rb") as handle:
            values = tomllib.load(handle)
    except OSError as error:
        raise SpaceError(f"cannot read search space {path}: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SpaceError(f"{path} is not valid TOML: {error}") from None
    except RecursionError:  # the parser recurses once per level of nested arrays or tables
        raise SpaceError(f"{path} is not a search space: its arrays or tables nest too deeply "
                         "(a space needs two levels)") from None
    return space_from_dict(values, path)
