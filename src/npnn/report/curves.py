"""Runs over training time: loss and accuracy curves, and the learning rate each run used.

Curves come from history.json; the schedule is rebuilt from config.json with the scheduler the
Trainer steps, so neither plot needs a checkpoint or any training.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from npnn import optim
from npnn._tensor import Tensor
from npnn.data.load import split_sizes
from npnn.report.figures import axes_list, ema, new_figure, styled
from npnn.report.sources import Run
from npnn.training.config import TrainConfig
from npnn.training.recipe import build_scheduler

LOSS_COLOR, ACCURACY_COLOR = "C0", "C3"
MIN_ACCURACY_SPAN = 2.0  # percentage points: the least range the accuracy axis shows
MIN_SMOOTHED = 30  # an EMA (α=0.2: ~5 evaluations of memory) visibly lags shorter histories: draw those raw
LR_POINTS = 2000
EXACT_STEPS = 200_000  # step (a replica of) the scheduler up to here (~0.3 s); beyond, its closed form
COMPLETE_STATES = ("finished", "early_stopped", "unknown")
TITLE_WIDTH = 44  # characters of a panel title line that fit a 3.8-inch panel


# ----- training curves -----
def _finite(values: list[float], scale: float = 1.0) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64) * scale
    return np.where(np.isfinite(array), array, np.nan)


def _smoothed(values: np.ndarray, alpha: float) -> np.ndarray:
    """EMA that stays blank where the raw value is (a diverged loss must not look flat)."""
    out = ema(values, alpha)
    out[np.isnan(values)] = np.nan
    return out


def _curves(run: Run, alpha: float, skip: int) -> dict[str, Any]:
    """Epochs, raw and smoothed loss/accuracy (%), and a note saying what was done to them."""
    records = run.history.records
    dropped = skip if skip > 0 and len(records) > 3 * skip else 0  # keep short histories whole
    kept = records[dropped:]
    epoch = np.array([r.epoch for r in kept], dtype=np.float64)
    loss = _finite([r.train_loss for r in kept])
    accuracy = _finite([r.val_accuracy for r in kept], 100.0)
    notes = [f"first {dropped} evals dropped"] if dropped else []
    smooth = len(kept) >= MIN_SMOOTHED
    notes.append(f"EMA α={alpha:g}" if smooth else f"raw, {len(records)} eval{'s' * (len(records) != 1)}")
    return {"epoch": epoch, "loss": loss, "accuracy": accuracy, "note": ", ".join(notes),
            "loss_smooth": _smoothed(loss, alpha) if smooth else None,
            "accuracy_smooth": _smoothed(accuracy, alpha) if smooth else None}


def _best(run: Run) -> tuple[float, float] | None:
    """(epoch, accuracy %) of the first best evaluation, NaNs ignored."""
    accuracy = _finite([r.val_accuracy for r in run.history.records])
    if not np.isfinite(accuracy).any():
        return None
    index = int(np.nanargmax(accuracy))
    return run.history.records[index].epoch, 100.0 * float(accuracy[index])


def _panel_title(run: Run, best: tuple[float, float] | None, note: str) -> str:
    """Label, then best accuracy, state and what was done to the curves, wrapped to the panel."""
    state = run.status.get("status", "unknown")
    parts = ["no valid accuracy" if best is None else f"best {best[1]:.2f}% @ epoch {best[0]:.3g}"]
    parts += [] if state in COMPLETE_STATES else [state.replace("_", " ")]
    parts += [note] if note else []
    lines = [""]
    for part in parts:  # break lines between parts only
        joined = f"{lines[-1]} · {part}" if lines[-1] else part
        if len(joined) > TITLE_WIDTH and lines[-1]:
            lines.append(part)
        else:
            lines[-1] = joined
    return "\n".join([textwrap.fill(run.label, TITLE_WIDTH), *lines])


def _draw_run(ax: Axes, run: Run, alpha: float, skip: int) -> None:
    if not run.history.records:
        ax.set_title(_panel_title(run, None, ""))
        ax.text(0.5, 0.5, "no evaluations", transform=ax.transAxes, ha="center", va="center",
                color="0.4")
        ax.set_axis_off()
        return
    data = _curves(run, alpha, skip)
    best = _best(run)
    ax.set_title(_panel_title(run, best, data["note"]))
    twin = ax.twinx()
    for axis, key, color, style in ((ax, "loss", LOSS_COLOR, "--"), (twin, "accuracy", ACCURACY_COLOR, ":")):
        smooth = data[f"{key}_smooth"]
        if smooth is None:
            axis.plot(data["epoch"], data[key], color=color, linestyle=style, linewidth=1.8, marker="o",
                      markersize=3, gid=key)
        else:
            axis.plot(data["epoch"], data[key], color=color, linewidth=0.8, alpha=0.3, gid=f"{key} raw")
            axis.plot(data["epoch"], smooth, color=color, linestyle=style, linewidth=1.8, gid=key)
    if best is not None:
        twin.plot([best[0]], [best[1]], linestyle="none", marker="*", markersize=11, color=ACCURACY_COLOR,
                  markeredgecolor="black", markeredgewidth=0.6, zorder=5, gid="best")
    low, high = twin.get_ylim()
    if high - low < MIN_ACCURACY_SPAN:  # don't blow a 0.3-point wobble up to the full height
        middle = (low + high) / 2
        twin.set_ylim(middle - MIN_ACCURACY_SPAN / 2, middle + MIN_ACCURACY_SPAN / 2)
    if np.isnan(data["loss"]).all():
        ax.text(0.02, 0.5, "train loss not finite", transform=ax.transAxes, color=LOSS_COLOR, fontsize=8)
    ax.set_xlabel("epoch")
    ax.set_ylabel("train loss", color=LOSS_COLOR)
    ax.tick_params(axis="y", labelcolor=LOSS_COLOR)
    ax.spines["left"].set_color(LOSS_COLOR)
    twin.set_ylabel("validation accuracy (%)", color=ACCURACY_COLOR)
    twin.tick_params(axis="y", labelcolor=ACCURACY_COLOR)
    twin.spines["right"].set_visible(True)
    twin.spines["right"].set_color(ACCURACY_COLOR)
    twin.grid(False)


def _style_legend(figure: Figure, ncols: int) -> None:
    handles = [Line2D([], [], color=LOSS_COLOR, linestyle="--", linewidth=1.8,
                      label="train loss (left axis)"),
               Line2D([], [], color=ACCURACY_COLOR, linestyle=":", linewidth=1.8,
                      label="validation accuracy (right axis)"),
               Line2D([], [], color="0.3", linewidth=0.8, alpha=0.4, label="raw values"),
               Line2D([], [], linestyle="none", marker="*", markersize=10, color=ACCURACY_COLOR,
                      markeredgecolor="black", markeredgewidth=0.6, label="best validation")]
    figure.legend(handles=handles, loc="outside lower center", ncols=ncols, frameon=False)


@styled
def plot_training_curves(runs: Sequence[Run], per_figure: int = 4, alpha: float = 0.2,
                         skip: int = 10, axes: Sequence[Axes] | None = None) -> list[Figure]:
    """The original report's curves, `per_figure` runs a figure: train loss (dashed, left axis)
    and validation accuracy (dotted, right axis) per epoch, EMA-smoothed after dropping the first
    `skip` evaluations, where a history is long enough for either to help. No runs: no figures.

    With `axes` (one Axes per run, e.g. `plt.subplots(2, 2)[1].flat`), each run is drawn into its
    own Axes and the figures those belong to are returned."""
    if per_figure < 1:
        raise ValueError(f"per_figure must be at least 1, got {per_figure}")
    runs = list(runs)
    if axes is not None:
        given = axes_list(axes, len(runs), "one per run")
        for ax, run in zip(given, runs, strict=False):
            _draw_run(ax, run, alpha, skip)
        return list(dict.fromkeys(ax.figure for ax in given[:len(runs)]))
    chunks = [runs[i:i + per_figure] for i in range(0, len(runs), per_figure)]
    figures = []
    for number, chunk in enumerate(chunks, 1):
        ncols = min(math.ceil(math.sqrt(per_figure)), len(chunk))
        nrows = math.ceil(len(chunk) / ncols)
        figure = new_figure(3.8 * ncols + 0.3, 3.0 * nrows + 0.9)
        panels = figure.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, run in zip(panels, chunk, strict=False):
            _draw_run(ax, run, alpha, skip)
        for ax in panels[len(chunk):]:
            ax.remove()
        part = f" ({number} of {len(chunks)})" if len(chunks) > 1 else ""
        figure.suptitle(f"Training curves{part}")
        _style_legend(figure, 4 if ncols > 1 else 2)
        figures.append(figure)
    return figures


@styled
def plot_training_curve(run: Run, ax: Axes | None = None, alpha: float = 0.2, skip: int = 10) -> Figure:
    """One run's curves (the original's viz_trainlog): train loss (dashed, left axis) and
    validation accuracy (dotted, right axis, best starred), drawn into `ax` where given."""
    if ax is None:
        figure = new_figure(4.4, 3.6)
        ax = figure.add_subplot()
        _style_legend(figure, 2)
    _draw_run(ax, run, alpha, skip)
    return ax.figure


# ----- learning-rate schedule -----
def steps_per_epoch(config: TrainConfig) -> int:
    """Batches per epoch as the Trainer's DataLoader makes them (the last one may be short)."""
    size = split_sizes(config.val_split, config.val_fraction)[0]
    size = size if config.train_subset is None else min(config.train_subset, size)
    return max(1, math.ceil(size / config.batch_size))


def _sample_steps(config: TrainConfig, per_epoch: int, total: int, points: int) -> np.ndarray:
    """Evenly spaced steps, plus both sides of every jump so a step decay draws square."""
    steps = np.rint(np.linspace(0, total, max(2, min(points, total + 1)))).astype(np.int64)
    edges = [config.warmup_steps]
    if config.schedule == "step":
        period = config.step_epochs * per_epoch
        edges += list(range(config.warmup_steps + period, total + 1, period))
    extra = np.array([s + d for s in edges for d in (-1, 0)], dtype=np.int64)
    return np.unique(np.clip(np.concatenate([steps, extra]), 0, total))


def lr_schedule(config: TrainConfig, points: int = LR_POINTS,
                exact_steps: int = EXACT_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """(epoch, lr) at about `points` steps: the rate after each step, as history.json records it,
    read with `lrs_at` from npnn's own scheduler built as the Trainer builds it."""
    per_epoch = steps_per_epoch(config)
    total = config.epochs * per_epoch
    steps = _sample_steps(config, per_epoch, total, points)
    optimizer = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=config.lr)
    scheduler = build_scheduler(config, optimizer, per_epoch)
    if scheduler is None:
        lr = np.full(len(steps), config.lr)
    else:
        lrs = scheduler.lrs_at(steps.tolist(), closed_form=total > exact_steps)
        lr = np.array([group_lrs[0] for group_lrs in lrs])
    return steps / per_epoch, lr


def _schedule_key(config: TrainConfig) -> tuple[Any, ...]:
    """What decides lr against epoch; runs with equal keys draw the same curve."""
    warmup = config.warmup_steps / steps_per_epoch(config) if config.warmup_steps else 0.0
    step = (config.step_epochs, config.step_gamma) if config.schedule == "step" else None
    return (config.lr, config.schedule, config.epochs, round(warmup, 9), step)


def _describe(config: TrainConfig, members: list[Run]) -> str:
    text = f"lr {config.lr:g}, {config.schedule}"
    if config.schedule == "step":
        text += f" ×{config.step_gamma:g} every {config.step_epochs} epochs"
    if config.warmup_steps:
        text += f", warm-up {config.warmup_steps} steps"
    names = [m.name for m in members]
    return f"{text} ({', '.join(names)})" if len(names) <= 2 else f"{text} ({len(names)} runs)"


def _log_scale(curves: list[tuple[np.ndarray, np.ndarray, TrainConfig]]) -> bool:
    """More than 2 decades between the rates the schedules hold: their peaks and step-decay
    levels. A cosine's approach to 0 does not count: alone it would always ask for a log axis."""
    levels = []
    for epoch, lr, config in curves:
        after_warmup = lr[epoch >= config.warmup_steps / steps_per_epoch(config)]
        levels.append(after_warmup if config.schedule != "cosine" else after_warmup[:1])
    positive = np.concatenate(levels)
    positive = positive[positive > 0]
    return positive.size > 0 and positive.max() / positive.min() > 100


@styled
def plot_lr_schedule(runs: Sequence[Run], ax: Axes | None = None) -> Figure:
    """Learning rate against epoch per distinct schedule (lines, rebuilt from the configs) with
    the rates each run recorded at its evaluations (markers), so a schedule bug shows as a gap;
    drawn into `ax` where given."""
    groups: dict[tuple[Any, ...], list[Run]] = {}
    for run in runs:
        groups.setdefault(_schedule_key(run.config), []).append(run)
    members = sorted(groups.values(), key=lambda g: (-g[0].config.lr, _describe(g[0].config, g)))
    own = ax is None
    if ax is None:
        ax = new_figure(7.5 if len(members) > 4 else 7.0, 4.0).add_subplot()
    figure = ax.figure
    ax.set_title("Learning-rate schedule, rebuilt from each run's config")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate")
    if not members:
        ax.text(0.5, 0.5, "no runs", transform=ax.transAxes, ha="center", va="center", color="0.4")
        return figure
    cmap = matplotlib.colormaps["tab10" if len(members) <= 10 else "viridis"]
    colors = [cmap(i) if len(members) <= 10 else cmap(i / (len(members) - 1)) for i in range(len(members))]
    curves = []
    for group, color in zip(members, colors, strict=True):
        config = group[0].config
        epoch, lr = lr_schedule(config)
        curves.append((epoch, lr, config))
        ax.plot(epoch, lr, color=color, linewidth=1.6, label=_describe(config, group), gid="schedule")
        recorded = [(r.epoch, r.lr) for run in group for r in run.history.records]
        if recorded:
            x, y = zip(*recorded, strict=True)
            ax.plot(x, y, linestyle="none", marker="o", markersize=4, markerfacecolor="none",
                    color=color, gid="recorded")
    if _log_scale(curves):
        ax.set_yscale("log", nonpositive="mask")
    else:
        ax.set_ylim(bottom=0)
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="0.3", linestyle="none", marker="o", markersize=4,
                          markerfacecolor="none", label="recorded in history.json"))
    if len(members) > 4 and own:
        figure.legend(handles=handles, loc="outside right upper", fontsize=7)
    else:
        ax.legend(handles=handles, loc="best")
    return figure
