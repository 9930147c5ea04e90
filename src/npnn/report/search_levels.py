"""Grouping a search's trials for plotting: layouts, learning-rate and regularization levels
(binned when a random or TPE search sampled them continuously), and the best of a group."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable

import numpy as np

from npnn.report.sources import Trial, regularization_label

KINDS = ("none", "l2", "l1")
MAX_LEVELS = 12  # more distinct values than this (a random or TPE search) are binned
BINS = 8

Settings = tuple[Callable[[Trial], str], list[str]]


def kind_rank(kind: str) -> int:
    return KINDS.index(kind) if kind in KINDS else len(KINDS)


def value_levels(values: Iterable[float]) -> dict[float, tuple[float, str]]:
    """Each value's (position, label): the value itself when there are few, else one of BINS
    log-spaced bins, so a search that sampled lr continuously still gives a readable grid."""
    distinct = sorted(set(values))
    if len(distinct) <= MAX_LEVELS:
        return {v: (v, f"{v:g}") for v in distinct}
    edges = np.geomspace(distinct[0], distinct[-1], BINS + 1)
    index = np.clip(np.searchsorted(edges, distinct, side="right") - 1, 0, BINS - 1)
    return {v: (math.sqrt(edges[i] * edges[i + 1]), f"{edges[i]:.2g}–{edges[i + 1]:.2g}")
            for v, i in zip(distinct, index, strict=True)}


def lr_levels(trials: list[Trial]) -> tuple[Callable[[Trial], str], list[str]]:
    levels = value_levels(t.lr for t in trials)
    order = sorted({label: pos for pos, label in levels.values()}.items(), key=lambda item: item[1])
    return (lambda t: levels[t.lr][1]), [label for label, _ in order]


def regularization_settings(trials: list[Trial]) -> Settings:
    """Each trial's regularization setting (strengths binned when there are many) and the
    settings in display order: none, then L2 and L1 by strength."""
    levels = {kind: value_levels(t.reg_strength for t in trials if t.regularization == kind)
              for kind in {t.regularization for t in trials} - {"none"}}

    def label(trial: Trial) -> str:
        level = levels.get(trial.regularization, {}).get(trial.reg_strength)
        return regularization_label(trial, level[1] if level else None)

    def rank(trial: Trial) -> tuple[int, float]:
        pos = 0.0 if trial.regularization == "none" else levels[trial.regularization][trial.reg_strength][0]
        return kind_rank(trial.regularization), pos

    ranked = {label(t): rank(t) for t in trials}
    return label, sorted(ranked, key=ranked.__getitem__)


def by_layout(trials: list[Trial]) -> dict[str, list[Trial]]:
    groups: dict[str, list[Trial]] = defaultdict(list)
    for trial in sorted(trials, key=lambda t: (t.family_key, t.hidden, t.layout, t.number)):
        groups[trial.layout].append(trial)
    return dict(groups)


def layout_title(trials: list[Trial]) -> str:
    batches = sorted({t.batch_size for t in trials})
    batch = f", batch {batches[0]}" if len(batches) == 1 else ""
    return f"{trials[0].layout}{batch}"


def best_trial(trials: list[Trial]) -> Trial:
    return min(trials, key=lambda t: (-t.val_accuracy, t.number))  # type: ignore[operator]


def crowding(cells: Iterable[list[Trial]], where: str = "point", best: bool = True) -> str:
    """'' when each cell holds one trial, else how many share one and what varies among them."""
    cells = [c for c in cells if len(c) > 1]
    if not cells:
        return ""
    varying = [name for name, key in (("batch sizes", "batch_size"), ("epochs", "epochs"),
                                      ("learning rates", "lr"), ("strengths", "reg_strength"))
               if any(len({getattr(t, key) for t in cell}) > 1 for cell in cells)]
    why = f"{', '.join(varying)} vary" if varying else "repeated settings"
    shown = "best of " if best else ""
    return f"{shown}up to {max(len(c) for c in cells)} trials per {where} ({why})"
