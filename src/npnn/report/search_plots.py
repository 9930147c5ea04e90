"""What a search found: validation accuracy against learning rate and regularization, per layout.

The original report's two views of a grid search (accuracy vs regularization strength with the
layout and lr fixed; accuracy vs lr with the layout and regularization fixed) plus a heatmap of
the whole grid. Only complete trials are drawn; every title counts the ones left out. They read
search_result.csv alone, so a bare CSV is enough.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, MaxNLocator, NullFormatter

from npnn.report.figures import axes_list, new_figure, styled
from npnn.report.search_levels import (
    MAX_LEVELS,
    best_trial,
    by_layout,
    crowding,
    kind_rank,
    layout_title,
    lr_levels,
    regularization_settings,
)
from npnn.report.search_panels import (
    LEGEND_INCHES,
    VAL_LABEL,
    label_outer,
    legend,
    nothing_to_plot,
    panels,
    percent,
    suptitle,
)
from npnn.report.sources import Search, Trial

KIND_STYLE = {"none": ("0.35", "o", "Greys"), "l2": ("C0", "o", "Blues"), "l1": ("C1", "s", "Oranges")}
OTHER_STYLE = ("C2", "D", "Greens")  # a kind this module does not know yet
NONE_GAP = 1.3  # decades between the "none" tick and the weakest strength
HEATMAP_CMAP = "viridis"
BEST_COLOR = "#d62728"


@styled
def plot_accuracy_vs_strength(search: Search, ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """A grid of scatter plots, one row per layout and one column per lr: how much
    regularization helps or hurts once the other settings are fixed. 'none' sits at its own
    tick left of the log-scaled strengths. `ax`: Axes to draw into, one per (layout, lr) panel in
    row-major order (e.g. `plt.subplots(layouts, lrs, sharex=True, sharey=True)[1]`)."""
    what = "Accuracy vs regularization strength (rows: layout; columns: lr)"
    trials = search.complete
    if not trials:
        return nothing_to_plot(search, what, ax)
    layouts = by_layout(trials)
    lr_of, lrs = lr_levels(trials)
    kinds = sorted({t.regularization for t in trials}, key=kind_rank)
    strengths = sorted({t.reg_strength for t in trials if t.regularization != "none"})
    low = math.floor(math.log10(strengths[0]) + 1e-9) if strengths else 0
    high = math.ceil(math.log10(strengths[-1]) - 1e-9) if strengths else low
    none_x = 10.0 ** (low - NONE_GAP)  # far enough left that its tick label clears 10^low

    own = ax is None
    if ax is None:
        figure = new_figure(max(7.5, 1.4 * len(lrs) + 1.8), 1.65 * len(layouts) + 1.3)
        axes = figure.subplots(len(layouts), len(lrs), sharex=True, sharey=True, squeeze=False)
    else:
        count = len(layouts) * len(lrs)
        axes = np.array(axes_list(ax, count, f"{len(layouts)} layouts × {len(lrs)} learning rates")[:count],
                        dtype=object).reshape(len(layouts), len(lrs))
        figure = axes[0, 0].figure
    for row, group in enumerate(layouts.values()):
        for col, lr in enumerate(lrs):
            ax = axes[row, col]
            cell = [t for t in group if lr_of(t) == lr]
            for kind in kinds:
                points = [t for t in cell if t.regularization == kind]
                if not points:
                    continue
                color, marker, _ = KIND_STYLE.get(kind, OTHER_STYLE)
                x = [none_x if kind == "none" else t.reg_strength for t in points]
                val = ax.scatter(x, [percent(t.val_accuracy) for t in points], s=20, color=color,
                                 marker=marker, zorder=3)
                val.set_gid(f"validation:{kind}")
                test = ax.scatter(x, [percent(t.test_accuracy) for t in points], s=42, marker=marker,
                                  facecolors="none", edgecolors=color, linewidths=0.9, zorder=3)
                test.set_gid(f"test:{kind}")
            if row == 0:
                ax.set_title(f"lr {lr}", fontsize=9)
            if col == 0:
                ax.set_ylabel(f"{layout_title(group)}\naccuracy (%)")
            if strengths:
                ax.axvline(10.0 ** (low - NONE_GAP / 2), color="0.6", linestyle=":", linewidth=0.8)

    decades = list(range(low, high + 1)) if strengths else []
    for ax in axes.ravel() if not own else axes[:1, :1].ravel():  # shared x on a figure of our own
        ax.set_xscale("log")
        ax.set_xticks([none_x] + [10.0**k for k in decades], ["none"] + [f"$10^{{{k}}}$" for k in decades])
        ax.xaxis.set_minor_locator(FixedLocator([m * 10.0**k for k in decades[:-1] for m in range(2, 10)]))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(none_x * 10**-0.35, 10.0 ** (max(high, low - 1) + 0.35))
        ax.tick_params(axis="x", labelsize=7)
    xlabel = "regularization strength (penalty coefficient; 'none' = unregularized)"
    if own:
        figure.supxlabel(xlabel, fontsize=9)
    else:
        for ax in axes[-1]:
            ax.set_xlabel("regularization strength", fontsize=8)

    handles = [Line2D([], [], linestyle="none", marker=KIND_STYLE.get(k, OTHER_STYLE)[1],
                      color=KIND_STYLE.get(k, OTHER_STYLE)[0], label=k if k == "none" else k.upper())
               for k in kinds]
    handles += [Line2D([], [], linestyle="none", marker="o", color="black", label="filled: validation"),
                Line2D([], [], linestyle="none", marker="o", markerfacecolor="none", markersize=8,
                       color="black", label="hollow: test")]
    legend(figure, list(axes.ravel()), own, handles, loc="outside right upper", title="regularization")
    cells: dict[tuple, list[Trial]] = defaultdict(list)
    for trial in trials:
        cells[trial.layout, lr_of(trial), trial.regularization, trial.reg_strength].append(trial)
    if own:
        suptitle(figure, search, what, crowding(cells.values(), best=False), LEGEND_INCHES)
    return figure


@styled
def plot_accuracy_vs_lr(search: Search, ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """One panel per layout, one line per regularization setting: which learning rate works
    and whether regularization moves it. `ax`: Axes to draw into, one per layout."""
    what = "Validation accuracy vs learning rate, one line per regularization setting"
    trials = search.complete
    if not trials:
        return nothing_to_plot(search, what, ax)
    layouts = by_layout(trials)
    setting, settings = regularization_settings(trials)
    colors = _setting_colors(trials, setting, settings)
    own = ax is None
    ncols = min(3, len(layouts)) if own else 1
    if ax is None:
        figure = new_figure(max(7.5, 3.3 * ncols + 1.6), 2.9 * math.ceil(len(layouts) / ncols) + 0.9)
        axes = panels(figure, len(layouts), ncols)
    else:
        axes = axes_list(ax, len(layouts), "one per layout")[:len(layouts)]
        figure = axes[0].figure
    lrs = [t.lr for t in trials]
    log_x = max(lrs) / min(lrs) > 10.0 + 1e-9
    joined = len(set(lrs)) <= MAX_LEVELS  # lines through a sampled (continuous) lr would zigzag
    if not joined:
        what = what.replace("one line", "one colour") + " (lr sampled, points not joined)"
    cells: list[list[Trial]] = []
    for ax, group in zip(axes, layouts.values(), strict=True):
        for name in settings:
            by_lr: dict[float, list[Trial]] = defaultdict(list)
            for trial in group:
                if setting(trial) == name:
                    by_lr[trial.lr].append(trial)
            if not by_lr:
                continue
            cells.extend(by_lr.values())
            x = sorted(by_lr)
            y = [percent(best_trial(by_lr[lr]).val_accuracy) for lr in x]
            color, marker, style = colors[name]
            ax.plot(x, y, marker=marker, markersize=4 if joined else 5, color=color,
                    linestyle=style if joined else "none", label=name)
        ax.set_title(layout_title(group))
        if log_x:
            ax.set_xscale("log")
        elif joined:  # ticks at the searched rates, thinned to at most 5 labels
            values = sorted(set(lrs))
            ax.xaxis.set_major_locator(FixedLocator(values[::math.ceil(len(values) / 5)]))
        else:
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
    label_outer(axes, ncols, "learning rate" + (" (log scale)" if log_x else ""), VAL_LABEL)
    handles = [Line2D([], [], color=colors[n][0], marker=colors[n][1], label=n,
                      linestyle=colors[n][2] if joined else "none") for n in settings]
    legend(figure, axes, own, handles, loc="outside right upper", title="regularization")
    if own:
        suptitle(figure, search, what, crowding(cells), LEGEND_INCHES)
    return figure


def _setting_colors(trials: list[Trial], setting: Callable[[Trial], str],
                    settings: list[str]) -> dict[str, tuple[object, str, str]]:
    """One colour family per kind (grey none, blue L2, orange L1), darker for stronger."""
    kind_of = {setting(t): t.regularization for t in trials}
    styles: dict[str, tuple[object, str, str]] = {}
    for kind in {kind_of[n] for n in settings}:
        names = [n for n in settings if kind_of[n] == kind]
        _, marker, cmap = KIND_STYLE.get(kind, OTHER_STYLE)
        shades = np.linspace(0.45, 0.95, len(names)) if len(names) > 1 else [0.75]
        for name, shade in zip(names, shades, strict=True):
            styles[name] = ("0.2", marker, "--") if kind == "none" else (colormaps[cmap](shade), marker, "-")
    return styles


@styled
def plot_search_heatmap(search: Search, ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """The whole grid at a glance: one panel per layout, validation accuracy per lr and
    regularization setting, best cell outlined; one colour scale for all panels. `ax`: Axes to
    draw into, one per layout (the colour bar takes room beside them)."""
    what = "Validation accuracy (%) by learning rate × regularization, per layout"
    trials = search.complete
    if not trials:
        return nothing_to_plot(search, what, ax)
    layouts = by_layout(trials)
    lr_of, lrs = lr_levels(trials)
    setting, settings = regularization_settings(trials)
    cells: dict[tuple[str, str, str], list[Trial]] = defaultdict(list)
    for trial in trials:
        cells[trial.layout, setting(trial), lr_of(trial)].append(trial)
    grids = {layout: np.array([[percent(best_trial(cells[layout, s, lr]).val_accuracy)
                                if cells.get((layout, s, lr)) else math.nan for lr in lrs]
                               for s in settings]) for layout in layouts}
    values = np.concatenate([g.ravel() for g in grids.values()])
    vmin, vmax = _color_range(values)
    clipped = vmin > np.nanmin(values)
    cmap = colormaps[HEATMAP_CMAP]

    own = ax is None
    ncols = 1 if len(layouts) <= 3 or not own else 2
    if ax is None:
        nrows = math.ceil(len(layouts) / ncols)
        figure = new_figure(max(6.5, ncols * (0.62 * len(lrs) + 1.6) + 1.8),
                            (0.3 * len(settings) + 1.0) * nrows + 1.2)
        axes = panels(figure, len(layouts), ncols)
    else:
        axes = axes_list(ax, len(layouts), "one per layout")[:len(layouts)]
        figure = axes[0].figure
    missing = False
    tilt = len(lrs) > MAX_LEVELS or any(len(lr) > 6 for lr in lrs)
    for ax, (layout, group) in zip(axes, layouts.items(), strict=True):
        image = ax.imshow(np.ma.masked_invalid(grids[layout]), cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
        missing |= _annotate_cells(ax, grids[layout], image)
        ax.set_title(layout_title(group))
        ax.set_yticks(range(len(settings)), settings)
        ax.set_xticks(range(len(lrs)), lrs, rotation=30 if tilt else 0, ha="right" if tilt else "center")
    label_outer(axes, ncols, "learning rate", "regularization")
    label = VAL_LABEL + (f"\n(below {vmin:.0f}: darkest colour)" if clipped else "")
    figure.colorbar(image, ax=list(axes), label=label, shrink=0.9, extend="min" if clipped else "neither")
    handles = [Patch(facecolor="none", edgecolor=BEST_COLOR, linewidth=2, label="best in panel")]
    if missing:
        handles.append(Patch(facecolor="0.88", edgecolor="0.6", hatch="///", label="no complete trial"))
    if own:
        figure.legend(handles=handles, loc="outside lower center", ncols=len(handles))
        suptitle(figure, search, what, crowding(cells.values(), "cell"))
    return figure


def _color_range(values: np.ndarray) -> tuple[float, float]:
    """Colour limits that keep the near-best cells apart: a few diverged runs would otherwise
    stretch the scale and paint every good cell the same yellow. Below the floor cells clip."""
    best, middle = np.nanmax(values), np.nanmedian(values)
    low = max(np.nanmin(values), middle - 2.0 * (best - middle))
    if best - low < 0.1:
        return low - 0.5, best + 0.5
    return float(low), float(best)


def _annotate_cells(ax, grid: np.ndarray, image) -> bool:
    """Write each value in a colour readable on its cell, hatch empty cells, outline the best.
    Returns whether any cell was empty."""
    ax.grid(False)
    for (i, j), value in np.ndenumerate(grid):
        if math.isnan(value):
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="0.88", edgecolor="0.6",
                                   hatch="///", linewidth=0, gid="missing"))
            continue
        red, green, blue, _ = image.to_rgba(value)
        dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
        ax.text(j, i, f"{value:.1f}", ha="center", va="center", fontsize=7,
                color="white" if dark else "black")
    i, j = np.unravel_index(np.nanargmax(grid), grid.shape)
    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=BEST_COLOR, linewidth=2.2,
                           gid="best"))
    return bool(np.isnan(grid).any())
