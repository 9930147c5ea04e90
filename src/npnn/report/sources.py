"""What plots and reports read: run directories and search results, never a model retrained.

A search directory holds `search_result.csv` (one row per trial, failed ones included) and
the trials' run directories; a run directory holds config.json, history.json, status.json
and, once tested, test.json. Everything here tolerates a run that failed or never finished.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from npnn.errors import ReportError, ResultsError
from npnn.report.document import Table
from npnn.report.run_files import check_machine, check_search, check_status, check_test
from npnn.serialization import CheckpointError, read_json
from npnn.training.config import TrainConfig
from npnn.training.history import History
from npnn.training.layout import layout_family, mlp_layout
from npnn.training.run_dir import open_run_dir

RESULTS_CSV = "search_result.csv"


@dataclass
class Run:
    """One run directory, read once: its config, history, status, test report and machine."""

    path: Path
    config: TrainConfig
    history: History
    status: dict[str, Any]
    test: dict[str, Any] | None = None
    machine: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def label(self) -> str:
        """A short description for legends: layout (a CNN's channels, 'cnn 32-64'), batch size, lr,
        regularization."""
        c = self.config
        hidden = "-".join(str(h) for h in c.hidden) or "linear"
        if c.model == "cnn":
            hidden = "cnn " + "-".join(str(h) for h in c.channels)
        reg = "" if c.regularization == "none" else f", {c.regularization} {c.reg_strength:g}"
        return f"{hidden}, batch {c.batch_size}, lr {c.lr:g}{reg}"

    @property
    def summary(self) -> Table:
        """One row: the run's model, state, epochs, best validation and test accuracy."""
        best = self.history.best
        test = None if self.test is None else self.test.get("accuracy")
        row = [self.name, self.label, str(self.status.get("status", "unknown")),
               f"{best.epoch:.3g}" if best else "–", _pct(best.val_accuracy if best else None), _pct(test)]
        return Table(f"Run {self.path}", ["run", "model", "status", "best at epoch", "val acc", "test acc"],
                     [row], numeric={3, 4, 5})

    def _repr_html_(self) -> str:
        return self.summary._repr_html_()


@dataclass
class Trial:
    """One row of search_result.csv with its values typed (None where the trial has none)."""

    number: int
    hidden: tuple[int, ...]
    batch_size: int
    lr: float
    regularization: str
    reg_strength: float
    val_accuracy: float | None
    test_accuracy: float | None
    epochs: int
    seconds: float
    state: str
    run_dir: Path | None
    layout: str = ""  # '784-512-256-10' or 'cnn 32-64 k3 max, dense 128'

    def __post_init__(self) -> None:
        self.layout = self.layout or mlp_layout(self.hidden)

    @property
    def family(self) -> str:
        """'2 hidden layers' or 'CNN, 2 blocks': the group a table ranks this trial in."""
        return layout_family(self.layout)[1]

    @property
    def family_key(self) -> tuple[int, int]:
        return layout_family(self.layout)[0]

    @property
    def complete(self) -> bool:
        return self.state == "complete" and self.val_accuracy is not None


@dataclass
class Search:
    """A search directory (or a bare CSV): its trials and, where present, search.json."""

    path: Path
    trials: list[Trial]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def complete(self) -> list[Trial]:
        return [t for t in self.trials if t.complete]

    def count(self, state: str) -> int:
        return sum(t.state == state for t in self.trials)

    def best(self, family: str | None = None, top: int = 1) -> list[Trial]:
        """The `top` complete trials (of one family) by validation accuracy (never test: that
        would leak it)."""
        pool = [t for t in self.complete if family is None or t.family == family]
        return sorted(pool, key=lambda t: (-t.val_accuracy, t.number))[:top]  # type: ignore[operator]

    @property
    def families(self) -> list[str]:
        """The families of models among the trials, MLPs by depth first, then CNNs."""
        return [name for _, name in sorted({(t.family_key, t.family) for t in self.trials})]

    @property
    def results(self) -> Table:
        """Every trial in order, as search_result.csv has them (an HTML table in Jupyter)."""
        return trials_table(self)

    def best_table(self, family: str | None = None, top: int = 4) -> Table:
        """The best `top` complete trials (of one family) by validation accuracy, test beside it."""
        pool = sum(t.complete and (family is None or t.family == family) for t in self.trials)
        return best_table(self.best(family, top), family or "all families", pool)

    def _repr_html_(self) -> str:
        return self.results._repr_html_()


def regularization_label(trial: Trial, strength: str | None = None) -> str:
    """'none' or 'L2 0.01': one spelling for every legend, tick and cell (`strength` replaces
    the exact value with a bin's label when a search sampled strengths continuously)."""
    if trial.regularization == "none":
        return "none"
    return f"{trial.regularization.upper()} {strength or format(trial.reg_strength, 'g')}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f}%"


def best_table(trials: list[Trial], family: str, pool: int) -> Table:
    """The report's table of the best trials of one family (`pool`: how many it ranked)."""
    rows = [[str(rank), str(t.number), t.layout, str(t.batch_size), f"{t.lr:g}",
             regularization_label(t), str(t.epochs), _pct(t.val_accuracy), _pct(t.test_accuracy),
             f"{t.seconds:.1f}"] for rank, t in enumerate(trials, start=1)]
    return Table(f"Best {len(trials)} of {pool} models, {family}",
                 ["rank", "trial", "layout", "batch", "lr", "regularization", "epochs", "val acc", "test acc",
                  "seconds"], rows, numeric={0, 1, 3, 4, 6, 7, 8, 9})


def trials_table(search: Search, fail_reasons: dict[int, str] | None = None) -> Table:
    """Every trial of `search` in order; a failed one with its reason where `fail_reasons` has it."""
    reasons = fail_reasons or {}
    rows = [[str(t.number), t.layout, str(t.batch_size), f"{t.lr:g}", regularization_label(t),
             _pct(t.val_accuracy), _pct(t.test_accuracy), f"{t.seconds:.1f}",
             _state(t, reasons)]
            for t in search.trials]
    columns = ["trial", "layout", "batch", "lr", "regularization", "val acc", "test acc", "seconds", "state"]
    return Table(f"All {len(search.trials)} trials in order", columns, rows, numeric={0, 2, 3, 5, 6, 7})


def _state(trial: Trial, reasons: dict[int, str]) -> str:
    if trial.state != "fail":
        return trial.state
    return f"failed: {reasons[trial.number]}" if trial.number in reasons else "failed"


def load_run(path: str | Path) -> Run:
    """Read a run directory, every file checked; missing history/test/machine files read as empty."""
    run_dir = open_run_dir(path)
    config = TrainConfig.load(run_dir.config)
    history = History.load(run_dir.history) if run_dir.history.exists() else History()
    return Run(run_dir.path, config, history, check_status(run_dir.read_status(), run_dir.status),
               _optional_json(run_dir.test, check_test), _optional_json(run_dir.machine, check_machine))


def _optional_json(path: Path, check: Callable[[dict[str, Any], Path], dict[str, Any]]
                   ) -> dict[str, Any] | None:
    if not path.exists():
        return None
    value = read_json(path)
    if not isinstance(value, dict):
        raise CheckpointError(f"{path}: expected a JSON object; the file is damaged")
    return check(value, path)


def load_search(path: str | Path) -> Search:
    """Read a search directory (or its search_result.csv directly)."""
    # the report's one import of npnn.search, which loads Optuna: only a search's report reads its table
    from npnn.search.results import read_csv, row_layout

    path = Path(path)
    csv = path / RESULTS_CSV if path.is_dir() else path
    if not csv.is_file():
        raise ReportError(f"{path} holds no {RESULTS_CSV}: pass a folder made by `npnn search` "
                          "or its CSV file")
    root = csv.parent
    try:
        rows = read_csv(csv)
    except ResultsError as error:
        raise ReportError(f"{error}; it should have the columns `npnn search` writes") from None
    try:
        trials = [_trial(row, root, row_layout(row)) for row in rows]
    except (KeyError, ValueError) as error:
        raise ReportError(f"{csv}: not a search results table ({error}); it should have the "
                          "columns `npnn search` writes") from None
    meta_path = root / "search.json"
    meta = _optional_json(meta_path, check_search) or {}
    return Search(root, trials, meta)


def _number(text: str, kind: type = float) -> Any:
    if text is None or text == "":
        return None
    value = kind(float(text)) if kind is int else float(text)
    return None if isinstance(value, float) and math.isnan(value) else value


def _trial(row: dict[str, str], root: Path, layout: str) -> Trial:
    run_dir = row.get("run_dir") or ""
    run_path = Path(run_dir) if run_dir else None
    if run_path is not None and not run_path.is_absolute():
        run_path = root / run_path
    if run_path is not None and not run_path.exists() and (root / "runs" / run_path.name).exists():
        run_path = root / "runs" / run_path.name  # the search folder was moved or copied
    return Trial(
        number=int(row["no"]),
        hidden=tuple(int(h) for h in row["hidden_size"].split()),
        batch_size=int(row["batch_size"]),
        lr=float(row["learning_rate"]),
        regularization=row["regularization"],
        reg_strength=float(row["regular_strength"] or 0.0),
        val_accuracy=_number(row.get("val_accuracy", "")),
        test_accuracy=_number(row.get("accuracy", "")),
        epochs=int(row["epochs"]),
        seconds=_number(row.get("seconds", "")) or 0.0,
        state=row["state"],
        run_dir=run_path,
        layout=layout,
    )


def is_search(path: str | Path) -> bool:
    path = Path(path)
    return (path / RESULTS_CSV).is_file() or (path.is_file() and path.suffix == ".csv")


