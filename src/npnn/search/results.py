"""The results table (the original's CSV columns first) and the top-k summary."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from npnn.errors import ResultsError
from npnn.serialization import atomic_write_text, is_special_file
from npnn.training.layout import layout_family, mlp_layout, model_layout

COLUMNS = ["no", "train_id", "accuracy", "hidden_size", "batch_size", "learning_rate", "regularization",
           "regular_strength", "val_accuracy", "epochs", "seconds", "state", "run_dir"]
# after the original's columns, and optional when reading (tables written before it lack it):
# the model ('784-512-256-10', 'cnn 32-64 k3 max, dense 128'); a CNN's hidden_size is its dense part
MODEL_COLUMN = "model"


def trial_rows(trials: list[Any]) -> list[dict[str, Any]]:
    """One row per trial that got as far as having a configuration.

    Left out: skipped duplicates, and trials stopped by a signal or a full disk, or killed (failed
    by the heartbeat check, with no reason of their own), whose point was tried again later
    (that later trial has the row).
    """
    last_try = {}  # the number of the latest trial of each point
    for trial in trials:
        key = json.dumps(trial.params, sort_keys=True)
        last_try[key] = max(last_try.get(key, -1), trial.number)
    rows = []
    for trial in sorted(trials, key=lambda t: t.number):
        config = trial.user_attrs.get("config")
        killed = trial.state.name == "FAIL" and "fail_reason" not in trial.user_attrs
        if (config is None or {"duplicate_of", "queued_again"} & set(trial.user_attrs)
                or (killed and last_try[json.dumps(trial.params, sort_keys=True)] > trial.number)):
            continue
        cnn = config.get("model", "mlp") == "cnn"
        rows.append({
            "no": trial.number,
            "train_id": Path(trial.user_attrs.get("run_dir", "")).name,
            "accuracy": trial.user_attrs.get("test_accuracy", ""),
            "hidden_size": " ".join(str(h) for h in config["cnn_hidden" if cnn else "hidden"]),
            "batch_size": config["batch_size"],
            "learning_rate": config["lr"],
            "regularization": config["regularization"],
            "regular_strength": config["reg_strength"],
            "val_accuracy": trial.value if trial.value is not None else "",
            "epochs": config["epochs"],
            "seconds": round(trial.user_attrs.get("seconds", 0.0), 2),
            "state": trial.state.name.lower(),
            "run_dir": trial.user_attrs.get("run_dir", ""),
            MODEL_COLUMN: model_layout(config),
        })
    return rows


def write_csv(path: str | Path, rows: list[dict[str, Any]]) -> None:
    """Rewrite search_result.csv atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*COLUMNS, MODEL_COLUMN], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())  # an OSError of it names `path`


def read_csv(path: str | Path) -> list[dict[str, str]]:
    """The rows of a search_result.csv; ResultsError if it is not one."""
    path = Path(path)

    def refuse(reason: str) -> ResultsError:
        return ResultsError(f"{path}: not a search results table ({reason})")

    if is_special_file(path):
        raise refuse("not a regular file")
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            header = reader.fieldnames or []
    except (UnicodeDecodeError, csv.Error) as error:
        raise refuse(str(error)) from None
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise refuse(f"no column {missing[0]!r}")
    return rows


def row_layout(row: dict[str, Any]) -> str:
    """The model of a results row (from its hidden sizes in a table without the model column)."""
    return row.get(MODEL_COLUMN) or mlp_layout(str(row["hidden_size"]).split())


def summary(rows: list[dict[str, Any]], top: int = 4) -> str:
    """The best `top` finished trials by validation accuracy, per family of models (MLPs by
    number of hidden layers, CNNs by number of blocks).

    Test accuracy is shown beside, never used to rank: choosing by it would leak the test set.
    """
    finished = [r for r in rows if r["state"] == "complete" and r["val_accuracy"] != ""]
    if not finished:
        return "no finished trials yet"
    families: dict[tuple[tuple[int, int], str], list[dict[str, Any]]] = {}
    for row in finished:
        families.setdefault(layout_family(row_layout(row)), []).append(row)
    width = max(12, *(len(row_layout(r)) for r in finished))
    lines = []
    for (_, family), group in sorted(families.items()):
        group.sort(key=lambda r: float(r["val_accuracy"]), reverse=True)
        lines.append(f"best {min(top, len(group))} of {len(group)} trials, {family} "
                     "(ranked by validation accuracy):")
        lines.append(f"  {'no':>4}  {'model':<{width}} {'batch':>5} {'lr':>7} {'reg':<12} "
                     f"{'val acc':>8} {'test acc':>8} {'seconds':>8}")
        for row in group[:top]:
            reg = "none" if row["regularization"] == "none" else \
                f"{row['regularization']} {float(row['regular_strength']):g}"
            test = f"{float(row['accuracy']):.4f}" if row["accuracy"] != "" else "-"
            lines.append(f"  {row['no']:>4}  {row_layout(row):<{width}} {row['batch_size']:>5} "
                         f"{float(row['learning_rate']):>7g} {reg:<12} {float(row['val_accuracy']):>8.4f} "
                         f"{test:>8} {float(row['seconds']):>8.1f}")
    return "\n".join(lines)
