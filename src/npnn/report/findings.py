"""Findings written from the data: each sentence states a measured effect, never a stock phrase."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

from npnn.report.sources import Run, Search, Trial, regularization_label

ORIGINAL_BEST_TEST = 0.8373  # the original system's best test accuracy (its search 2)


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Rank correlation (ties get their mean rank); nan when either side is constant."""
    def ranks(values: Sequence[float]) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        order = np.argsort(values, kind="stable")
        ranked = np.empty(len(values))
        ranked[order] = np.arange(len(values), dtype=np.float64)
        for value in np.unique(values):  # ties: mean rank
            tie = values == value
            ranked[tie] = ranked[tie].mean()
        return ranked

    rx, ry = ranks(x), ranks(y)
    if len(rx) < 2 or rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def _pct(value: float) -> str:
    return f"{100 * value:.2f}%"


def _points(value: float) -> str:
    return f"{100 * abs(value):.1f} point{'s' if round(100 * abs(value), 1) != 1 else ''}"


def _group(trials: Sequence[Trial], key: Callable[[Trial], Hashable]) -> dict[Hashable, list[Trial]]:
    groups: dict[Hashable, list[Trial]] = defaultdict(list)
    for trial in trials:
        groups[key(trial)].append(trial)
    return dict(groups)


def _mean_val(trials: Sequence[Trial]) -> float:
    return float(np.mean([t.val_accuracy for t in trials]))


def search_findings(search: Search, fail_reasons: dict[int, str] | None = None) -> list[str]:
    """Counts, the best trial, and how accuracy moves with lr, regularization and layout."""
    done = search.complete
    counts = f"{len(search.trials)} trials: {len(done)} complete"
    for state in ("fail", "pruned", "running", "waiting"):
        if search.count(state):
            counts += f", {search.count(state)} {'failed' if state == 'fail' else state}"
    lines = [counts + "."]
    if fail_reasons:
        reasons = _group([t for t in search.trials if t.number in fail_reasons],
                         lambda t: fail_reasons[t.number].split(" at step")[0])
        lines.append("Failed trials: " + "; ".join(
            f"{len(ts)} × {reason} (trial {', '.join(str(t.number) for t in ts[:5])}"
            f"{', …' if len(ts) > 5 else ''})" for reason, ts in reasons.items()) + ".")
    if not done:
        return lines
    lines.append(_best_sentence(search, done))
    lines += _lr_findings(done)
    lines += _regularization_findings(done)
    lines += _layout_findings(done)
    lines += _generalization_findings(done)
    seconds = sum(t.seconds for t in search.trials)
    per_trial = seconds / max(len(search.trials), 1)
    lines.append(f"Training time over all trials: {seconds / 60:.1f} min ({per_trial:.1f} s per trial "
                 "on average).")
    return lines


def _best_sentence(search: Search, done: list[Trial]) -> str:
    best = search.best()[0]
    text = (f"Best by validation accuracy: trial {best.number} ({best.layout}, "
            f"batch {best.batch_size}, lr {best.lr:g}, regularization {regularization_label(best)}) "
            f"with {_pct(best.val_accuracy)} validation")
    if best.test_accuracy is not None:
        text += f" and {_pct(best.test_accuracy)} test accuracy"
        if str(search.meta.get("space", "")).startswith("original"):
            gain = best.test_accuracy - ORIGINAL_BEST_TEST
            text += (f", {_points(gain)} {'above' if gain >= 0 else 'below'} the original system's best "
                     f"({_pct(ORIGINAL_BEST_TEST)})")
    return text + "."


def _lr_findings(done: list[Trial]) -> list[str]:
    lines = []
    for layout, trials in sorted(_group(done, lambda t: t.layout).items()):
        by_lr = _group(trials, lambda t: t.lr)
        if len(by_lr) < 2:
            continue
        lrs = sorted(by_lr)
        means = [_mean_val(by_lr[lr]) for lr in lrs]
        best = lrs[int(np.argmax(means))]
        rho = spearman([t.lr for t in trials], [t.val_accuracy for t in trials])
        lines.append(f"Learning rate, {layout}: mean validation accuracy {_pct(means[0])} at lr "
                     f"{lrs[0]:g} and {_pct(means[-1])} at lr {lrs[-1]:g}; best mean at lr {best:g} "
                     f"({_pct(max(means))}); rank correlation of lr with accuracy ρ = {rho:+.2f}.")
    return lines


def _regularization_findings(done: list[Trial]) -> list[str]:
    """Each setting against no regularization at the same layout, batch, lr and epochs (paired)."""
    def context(t: Trial) -> tuple[Any, ...]:
        return (t.layout, t.batch_size, t.lr, t.epochs)

    baseline = {context(t): t.val_accuracy for t in done if regularization_label(t) == "none"}
    lines = []
    settings = _group([t for t in done if regularization_label(t) != "none"], regularization_label)
    for label, trials in sorted(settings.items(), key=lambda item: -item[1][0].reg_strength):
        pairs = [(t.val_accuracy - baseline[context(t)]) for t in trials if context(t) in baseline]
        if not pairs:
            continue
        mean = float(np.mean(pairs))
        better = sum(d > 0 for d in pairs)
        effect = ("changes validation accuracy by less than 0.1 points" if abs(mean) < 0.0005 else
                  f"{'raises' if mean > 0 else 'lowers'} validation accuracy by {_points(mean)}")
        lines.append(f"Regularization {label}: {effect} on average against none at the same layout and "
                     f"lr (better in {better} of {len(pairs)} pairs).")
    return lines


def _layout_findings(done: list[Trial]) -> list[str]:
    layouts = _group(done, lambda t: (t.layout, t.batch_size))
    if len(layouts) < 2:
        return []
    parts = []
    for (layout, batch), trials in sorted(layouts.items(), key=lambda item: -_mean_val(item[1])):
        best = max(t.val_accuracy for t in trials)
        seconds = float(np.mean([t.seconds for t in trials]))
        parts.append(f"{layout} at batch {batch}: mean {_pct(_mean_val(trials))}, best {_pct(best)}, "
                     f"{seconds:.1f} s per trial")
    return ["Layouts, best mean first: " + "; ".join(parts) + "."]


def _generalization_findings(done: list[Trial]) -> list[str]:
    tested = [t for t in done if t.test_accuracy is not None]
    if len(tested) < 2:
        return []
    gap = float(np.mean([t.val_accuracy - t.test_accuracy for t in tested]))
    rho = spearman([t.val_accuracy for t in tested], [t.test_accuracy for t in tested])
    direction = (f"Validation accuracy overstates test accuracy by {100 * gap:.2f} points on average"
                 if gap >= 0 else
                 f"Test accuracy exceeds validation accuracy by {-100 * gap:.2f} points on average")
    verdict = ("so ranking by validation picks the models that also test best, without touching the "
               "test set" if rho >= 0.8 else "so a validation ranking only loosely predicts the test ranking")
    return [f"{direction}; the two rank the trials alike (ρ = {rho:+.3f}), {verdict}."]


def run_findings(run: Run) -> list[str]:
    """When the best evaluation came, what the losses did after it, and how the test went."""
    records = run.history.records
    status = str(run.status.get("status", "unknown")).replace("_", " ")
    if not records:
        return [f"The run has no evaluations yet (status: {status})."]
    best = run.history.best
    last = records[-1]
    lines = [f"Status: {status} after {last.epoch:g} epochs ({last.step} steps)"
             + (f": {run.status['reason']}." if run.status.get("reason") else ".")]
    where = ("at the last evaluation, so more epochs may still help" if best is last
             else f"at epoch {best.epoch:g} of {last.epoch:g}; the last evaluation had "
                  f"{_pct(last.val_accuracy)} ({_points(best.val_accuracy - last.val_accuracy)} lower)")
    lines.append(f"Best validation accuracy {_pct(best.val_accuracy)} came {where}.")
    finite = [r for r in records if np.isfinite(r.val_loss)]
    if len(finite) >= 3:
        lowest = min(finite, key=lambda r: r.val_loss)
        if lowest is not finite[-1] and finite[-1].val_loss > lowest.val_loss * 1.05:
            lines.append(f"Validation loss was lowest at epoch {lowest.epoch:g} ({lowest.val_loss:.4f}) "
                         f"and rose to {finite[-1].val_loss:.4f} by the end while training loss kept "
                         f"falling ({finite[0].train_loss:.4f} → {finite[-1].train_loss:.4f}): the model "
                         "overfits late.")
        else:
            lines.append(f"Training loss fell from {finite[0].train_loss:.4f} to {finite[-1].train_loss:.4f} "
                         f"and validation loss from {finite[0].val_loss:.4f} to {finite[-1].val_loss:.4f}.")
    if run.test:
        lines += _test_findings(run.test, best.val_accuracy)
    return lines


def _test_findings(test: dict[str, Any], val_accuracy: float) -> list[str]:
    accuracy = test["accuracy"]
    sign = "-" if accuracy < val_accuracy else "+"
    lines = [f"Test accuracy of the best checkpoint: {_pct(accuracy)} on {test['examples']:,} images "
             f"({sign}{_points(accuracy - val_accuracy)} against validation)."]
    per_class = test.get("per_class_accuracy", {})
    if per_class:
        ordered = sorted(per_class.items(), key=lambda item: item[1])
        hardest = ", ".join(f"{name} {_pct(value)}" for name, value in ordered[:3])
        easiest = ", ".join(f"{name} {_pct(value)}" for name, value in ordered[-2:])
        lines.append(f"Hardest classes: {hardest}; easiest: {easiest}.")
    matrix = np.asarray(test.get("confusion_matrix", []))
    classes = test.get("classes", [])
    if matrix.ndim == 2 and matrix.size:
        off = matrix.copy()
        np.fill_diagonal(off, 0)
        true, predicted = np.unravel_index(int(off.argmax()), off.shape)
        lines.append(f"Most common mistake: {classes[true]} taken for {classes[predicted]} "
                     f"({int(off[true, predicted])} of {int(matrix[true].sum())} {classes[true]} images).")
    return lines
