"""Shape checks of the JSON files the report and plots read beside config.json and history.json
(which check themselves): status.json, test.json, machine.json and search.json.

A field of the wrong type would otherwise surface as a traceback deep in a figure or an f-string;
here it is one CheckpointError naming the file, the field and the fix.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from npnn.serialization import CheckpointError, is_number


def check_status(values: dict[str, Any], path: Path) -> dict[str, Any]:
    """status.json: `status` a word, `step` a count, `epoch`/`seconds` numbers >= 0, `reason` text."""
    for name, check, expected in (("status", _text, "a word such as \"finished\""),
                                  ("step", _count, "a whole number >= 0"),
                                  ("epoch", _amount, "a number >= 0"),
                                  ("seconds", _amount, "a number >= 0"),
                                  ("reason", _text, "text"),
                                  ("best", _object, "an object")):
        if name in values and not check(values[name]):
            raise _damaged(path, name, expected, values[name], "remove that field (the report "
                           "reads the rest) or train the run again")
    return values


def check_test(values: dict[str, Any], path: Path) -> dict[str, Any]:
    """test.json as `npnn test` writes it: accuracy, examples, classes, per-class accuracy and a
    square confusion matrix of counts, all agreeing on the classes."""
    fix = f"delete it and run `npnn test {path.parent}` again"
    for name in ("accuracy", "examples", "confusion_matrix"):
        if name not in values:
            raise CheckpointError(f"{path}: no \"{name}\" in it; the file is damaged: {fix}")
    for name, check, expected in (("accuracy", _fraction, "a number from 0 to 1"),
                                  ("loss", _amount, "a number >= 0"),
                                  ("examples", _count, "a whole number >= 0"),
                                  ("split", _text, "a split name"),
                                  ("checkpoint", _object, "an object")):
        if name in values and values[name] is not None and not check(values[name]):
            raise _damaged(path, name, expected, values[name], fix)
    matrix = values["confusion_matrix"]
    if not (isinstance(matrix, list) and matrix and all(isinstance(row, list) for row in matrix)):
        raise _damaged(path, "confusion_matrix", "a list of rows of counts", matrix, fix)
    for i, row in enumerate(matrix):
        if len(row) != len(matrix) or not all(map(_count, row)):
            raise _damaged(path, f"confusion_matrix[{i}]", f"{len(matrix)} counts (the matrix is square)",
                           row, fix)
    classes = values.get("classes")
    if classes is not None and not (isinstance(classes, list) and len(classes) == len(matrix)
                                    and all(map(_text, classes)) and len(set(classes)) == len(classes)):
        raise _damaged(path, "classes", f"{len(matrix)} different class names (one per matrix row)",
                       classes, fix)
    per_class = values.get("per_class_accuracy")
    if per_class is not None:
        names = classes or [str(i) for i in range(len(matrix))]
        if not (isinstance(per_class, dict) and set(per_class) == set(names)):
            raise _damaged(path, "per_class_accuracy", f"an object with an entry for each of the "
                           f"{len(names)} classes", per_class, fix)
        for name, value in per_class.items():
            if value is not None and not _fraction(value):
                raise _damaged(path, f"per_class_accuracy[{name!r}]", "a number from 0 to 1", value, fix)
    return values


def check_machine(values: dict[str, Any], path: Path) -> dict[str, Any]:
    """machine.json: plain values (text, numbers, null) only."""
    for name, value in values.items():
        if not (value is None or _text(value) or is_number(value)):
            raise _damaged(path, name, "text or a number", value, "delete it (the report then says "
                           "\"not recorded\") or train again")
    return values


def check_search(values: dict[str, Any], path: Path) -> dict[str, Any]:
    """search.json: `space`, where present, names the search space."""
    if "space" in values and not _text(values["space"]):
        raise _damaged(path, "space", "the name of a search space", values["space"],
                       "put back the name of the search space or the preset")
    return values


def _damaged(path: Path, name: str, expected: str, value: Any, fix: str) -> CheckpointError:
    shown = repr(value) if len(repr(value)) <= 40 else f"a {type(value).__name__}"
    return CheckpointError(f"{path}: \"{name}\" must be {expected}, got {shown}; the file is damaged: "
                           f"{fix}")


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _object(value: Any) -> bool:
    return isinstance(value, dict)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _amount(value: Any) -> bool:
    return is_number(value) and math.isfinite(value) and value >= 0


def _fraction(value: Any) -> bool:
    return _amount(value) and value <= 1
