"""Where a model goes wrong on the test split: confusion matrix, per-class accuracy, its mistakes.

The matrix and the table read a test.json report (as `npnn test` writes it); the gallery of
mistakes needs every prediction, from `predictions.predict_test`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from npnn.report.figures import axes_list, new_figure, styled
from npnn.report.predictions import TestPredictions

MATRIX_CMAP = "Blues"
GALLERY_COLUMNS = 6


def _confusion(report: dict[str, Any]) -> tuple[np.ndarray, list[str]]:
    matrix = np.asarray(report["confusion_matrix"], dtype=np.int64)
    names = list(report.get("classes") or [str(i) for i in range(len(matrix))])
    if matrix.shape != (len(names), len(names)):
        raise ValueError(f"confusion_matrix has shape {matrix.shape} but there are {len(names)} classes; "
                         "the test report is damaged: run `npnn test` on the run again")
    return matrix, names


def _row_percent(matrix: np.ndarray) -> np.ndarray:
    """Each row as % of that true class (0 for a class with no examples)."""
    totals = matrix.sum(axis=1, keepdims=True)
    return 100.0 * matrix / np.maximum(totals, 1)


def _accuracy(report: dict[str, Any], matrix: np.ndarray) -> float:
    value = report.get("accuracy")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return float(np.trace(matrix) / max(matrix.sum(), 1))
    return float(value)


@styled
def plot_confusion(report: dict[str, Any], title: str = "",
                   ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """Confusion matrix (cells coloured by % of the true class, annotated with counts) beside
    per-class accuracy bars, so the classes a model mixes up stand out at a glance. `ax`: an Axes
    for the matrix alone, or two Axes (matrix, per-class bars) to draw into."""
    matrix, names = _confusion(report)
    percent = _row_percent(matrix)
    accuracy = _accuracy(report, matrix)
    examples = int(report.get("examples") or matrix.sum())
    heading = f"Test accuracy {100.0 * accuracy:.2f}% on {examples:,} images"
    if ax is not None:
        axes = [ax] if isinstance(ax, Axes) else axes_list(ax, 1, "the matrix, then the bars")
        _draw_matrix(axes[0], matrix, percent, names)
        axes[0].set_title(f"{title}: {heading}" if title else heading, fontsize=9)
        if len(axes) > 1:
            _draw_bars(axes[1], _per_class(report, matrix, names), names, accuracy)
        return axes[0].figure

    figure = new_figure(10.0, 5.2)
    grid = figure.add_gridspec(1, 2, width_ratios=[3.0, 1.4])
    matrix_ax = figure.add_subplot(grid[0, 0])
    _draw_matrix(matrix_ax, matrix, percent, names)
    matrix_ax.set_title("confusion matrix (counts; colour: % of true class)")
    _draw_bars(figure.add_subplot(grid[0, 1]), _per_class(report, matrix, names), names, accuracy)
    figure.suptitle(f"{title}: {heading}" if title else heading)
    return figure


def _draw_matrix(ax: Axes, matrix: np.ndarray, percent: np.ndarray, names: list[str]) -> None:
    k = len(names)
    image = ax.imshow(percent, cmap=MATRIX_CMAP, vmin=0.0, vmax=100.0)
    ax.grid(False)
    ax.set_xticks(range(k), names, rotation=40, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    font = 7 if k <= 12 else 5
    for (i, j), count in np.ndenumerate(matrix):
        # white text on dark cells, dark text on light ones
        colour = "white" if percent[i, j] > 55 else ("0.15" if count else "0.6")
        ax.text(j, i, str(count), ha="center", va="center", fontsize=font, color=colour)
    ax.figure.colorbar(image, ax=ax, label="% of true class", shrink=0.85, pad=0.02)


def _draw_bars(bars: Axes, per_class: np.ndarray, names: list[str], accuracy: float) -> None:
    k = len(names)
    y = np.arange(k)
    values = np.nan_to_num(per_class, nan=0.0)
    bars.barh(y, values, color="C0", height=0.7)
    for yi, value in zip(y, per_class, strict=True):
        if math.isnan(value):
            bars.text(2.0, yi, "no examples", va="center", fontsize=7)
        elif value >= 20:  # inside the bar's end, clear of the overall line's label
            bars.text(value - 1.5, yi, f"{value:.1f}", va="center", ha="right", fontsize=7, color="white")
        else:
            bars.text(value + 1.5, yi, f"{value:.1f}", va="center", fontsize=7)
    bars.axvline(100.0 * accuracy, color="C3", linestyle="--", linewidth=1.2)
    bars.set_yticks(y, names)
    bars.set_ylim(k - 0.5, -0.5)  # class 0 on top, rows level with the matrix
    bars.set_xlim(0.0, 100.0)
    bars.set_xticks([0, 25, 50, 75, 100])
    bars.set_xlabel("per-class accuracy (%)")
    bars.set_title(f"accuracy per true class\n(dashed: overall {100.0 * accuracy:.2f}%)")
    bars.grid(axis="y", visible=False)


def _per_class(report: dict[str, Any], matrix: np.ndarray, names: list[str]) -> np.ndarray:
    """Per-class accuracy in %, from the report where it has it, else from the matrix."""
    stored = report.get("per_class_accuracy") or {}
    totals = matrix.sum(axis=1)
    out = np.empty(len(names))
    for i, name in enumerate(names):
        value = stored.get(name) if isinstance(stored, dict) else None
        if value is None and totals[i]:
            value = matrix[i, i] / totals[i]
        out[i] = np.nan if value is None else 100.0 * float(value)
    return out


def per_class_table(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per class: examples, correct, accuracy (%; None without examples) and the class it
    is most often mistaken for, e.g. "Shirt → T-shirt/top (123)"."""
    matrix, names = _confusion(report)
    rows = []
    for i, name in enumerate(names):
        examples, correct = int(matrix[i].sum()), int(matrix[i, i])
        wrong = matrix[i].copy()
        wrong[i] = -1
        j = int(np.argmax(wrong))  # the first class on a tie
        confused = int(wrong[j]) > 0
        rows.append({
            "class": name,
            "examples": examples,
            "correct": correct,
            "accuracy": 100.0 * correct / examples if examples else None,
            "confused_with": names[j] if confused else None,
            "confused_count": int(wrong[j]) if confused else 0,
            "confusion": f"{name} → {names[j]} ({int(wrong[j])})" if confused else "none",
        })
    return rows


def sample_mistakes(predictions: TestPredictions, count: int = 24) -> np.ndarray:
    """Up to `count` misclassified indices spread over the true classes: each class's most
    confident mistakes first, taken round-robin in class order (deterministic; ties by index)."""
    wrong = predictions.misclassified
    confidence = np.nan_to_num(np.asarray(predictions.confidence, dtype=np.float64), nan=-1.0)
    queues = []
    for label in np.unique(predictions.labels[wrong]):
        members = wrong[predictions.labels[wrong] == label]
        order = np.lexsort((members, -confidence[members]))  # last key sorts first
        queues.append(list(members[order]))
    chosen: list[int] = []
    while len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(int(queue.pop(0)))
    return np.asarray(chosen, dtype=np.int64)


@styled
def plot_misclassified(predictions: TestPredictions, count: int = 24, title: str = "",
                       ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """A gallery of test images the model got wrong, labelled with the truth, the prediction and
    its confidence: shows whether the mistakes are understandable or the model is confused.
    `ax`: Axes to draw into, one image each (as many images as Axes given)."""
    given = None if ax is None else axes_list(ax, 1, "one per image")
    chosen = sample_mistakes(predictions, count if given is None else len(given))
    total, wrong = len(predictions), len(predictions.misclassified)
    heading = (f"Misclassified test images: {wrong:,} of {total:,} ({100.0 * wrong / max(total, 1):.1f}%)\n"
               f"most confident mistakes, taken in turn from each true class; {len(chosen)} shown")
    if given is not None:
        _draw_gallery(given, predictions, chosen)
        if not len(chosen):
            given[0].text(0.5, 0.5, f"no misclassified images: all {total:,} are right", ha="center",
                          va="center", fontsize=8, transform=given[0].transAxes)
        return given[0].figure
    if not len(chosen):
        figure = new_figure(6.0, 2.0)
        ax = figure.add_subplot()
        ax.axis("off")
        ax.text(0.5, 0.5, f"no misclassified images: all {total:,} test images are right",
                ha="center", va="center", fontsize=11, transform=ax.transAxes)
        figure.suptitle(f"{title}: misclassified test images" if title else "Misclassified test images")
        return figure

    columns = min(GALLERY_COLUMNS, len(chosen))
    rows = math.ceil(len(chosen) / columns)
    figure = new_figure(max(1.45 * columns, 5.5), 1.75 * rows + 0.7)
    _draw_gallery(list(figure.subplots(rows, columns, squeeze=False).flat), predictions, chosen)
    figure.suptitle(f"{title}: {heading}" if title else heading)
    return figure


def _draw_gallery(axes: list[Axes], predictions: TestPredictions, chosen: np.ndarray) -> None:
    names = predictions.class_names
    for ax, index in zip(axes, chosen, strict=False):
        ax.imshow(predictions.images[index], cmap="gray", vmin=0, vmax=_white(predictions.images))
        truth, guess = names[predictions.labels[index]], names[predictions.predictions[index]]
        ax.set_title(f"true: {truth}\npred: {guess} ({_percent(predictions.confidence[index])})",
                     fontsize=7, linespacing=1.1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        ax.spines[:].set_visible(False)
    for ax in axes[len(chosen):]:
        ax.axis("off")


def _percent(confidence: float) -> str:
    """A probability as a short percentage that never rounds a mistake up to "100%"."""
    if np.isnan(confidence):
        return "?%"
    if confidence < 0.995:
        return f"{100.0 * confidence:.0f}%"
    return f"{100.0 * confidence:.1f}%" if confidence < 0.999 else ">99.9%"


def _white(images: np.ndarray) -> float:
    """The display value of white: 255 for bytes, 1 for floats in [0, 1]."""
    return 255.0 if np.asarray(images).dtype == np.uint8 else 1.0
