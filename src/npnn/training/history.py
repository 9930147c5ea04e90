"""Training history: one record per evaluation, saved as the original's lists too."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from npnn.serialization import CheckpointError, atomic_write_json, is_number, read_json


@dataclass
class EvalRecord:
    """What one evaluation saw. Wall-clock time lives in train.log, so that the same seed
    gives a byte-identical history.json."""

    step: int
    epoch: float
    train_loss: float
    val_loss: float
    val_accuracy: float
    lr: float


@dataclass
class History:
    records: list[EvalRecord] = dataclasses.field(default_factory=list)

    def append(self, record: EvalRecord) -> None:
        self.records.append(record)

    @property
    def best(self) -> EvalRecord | None:
        """The first record with the highest validation accuracy."""
        return max(self.records, key=lambda r: r.val_accuracy, default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": [dataclasses.asdict(r) for r in self.records],
            # the original system's names, for its plotting habits
            "train_loss": [r.train_loss for r in self.records],
            "valid_metric": [r.val_accuracy for r in self.records],
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> History:
        """Inverse of `to_dict`; null (how JSON holds a non-finite loss) reads back as NaN."""
        return cls([EvalRecord(**{key: math.nan if value is None else value for key, value in r.items()})
                    for r in values.get("records", [])])

    def save(self, path: str | Path) -> None:
        """Strict JSON: a non-finite value is written as null."""
        atomic_write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str | Path) -> History:
        """Read history.json; CheckpointError naming the file if it is not one."""
        values = read_json(path)
        fields = {f.name for f in dataclasses.fields(EvalRecord)}
        records = values.get("records") if isinstance(values, dict) else None
        if not isinstance(records, list) or not all(_is_record(r, fields) for r in records):
            raise CheckpointError(f"{path}: damaged: not a training history (records of "
                                  f"{', '.join(sorted(fields))})")
        return cls.from_dict(values)


def _is_record(value: Any, fields: set[str]) -> bool:
    """A dict with exactly `fields`, each a number or None."""
    return isinstance(value, dict) and set(value) == fields and all(
        v is None or is_number(v) for v in value.values())
