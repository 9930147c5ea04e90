"""What every search plot shares: its panels (our own figure's, or the Axes a caller gave), titles
that count the trials left out, legends, axis labels, and the figure that says there is nothing
to plot."""

from __future__ import annotations

import math
import textwrap
from collections import defaultdict
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from npnn.report.figures import axes_list, new_figure
from npnn.report.sources import Search

VAL_LABEL = "validation accuracy (%)"
LEGEND_INCHES = 1.4  # width of a legend outside the right edge


def suptitle(figure: Figure, search: Search, what: str, note: str = "", legend: float = 0.0) -> None:
    """What is plotted and how many trials; centred over the axes, clear of a right-hand
    legend `legend` inches wide, wrapped to fit."""
    complete = len(search.complete)
    left_out: dict[str, int] = defaultdict(int)
    for trial in search.trials:
        if not trial.complete:
            left_out["failed" if trial.state in ("fail", "complete") else trial.state] += 1
    counts = [f"{complete} complete trial{'s' if complete != 1 else ''}"]
    if left_out:
        counts.append(", ".join(f"{n} {state}" for state, n in sorted(left_out.items())) + " not shown")
    inches = figure.get_figwidth()
    width = max(30, int((inches - legend) * 12))  # ~12 characters per inch at 11 pt
    lines = [textwrap.fill(text, width) for text in (what, "; ".join(counts), note) if text]
    figure.suptitle("\n".join(lines), fontsize=11, x=0.5 * (1 - legend / inches))


def panels(figure: Figure, count: int, ncols: int) -> list:
    """`count` panels sharing both axes, `ncols` to a row; spare grid cells hidden."""
    axes = figure.subplots(math.ceil(count / ncols), ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax in axes[count:]:
        ax.set_visible(False)
    return list(axes[:count])


def legend(figure: Figure, axes: list[Axes], own: bool, handles: list, **options: object) -> None:
    """Outside the panels on a figure of our own; in the last panel of a caller's figure."""
    if own:
        figure.legend(handles=handles, **options)
    else:
        axes[-1].legend(handles=handles, fontsize=7, title=options.get("title"))


def label_outer(axes: list, ncols: int, xlabel: str, ylabel: str) -> None:
    """Axis labels on the left column and on the lowest panel of each column only."""
    for index, ax in enumerate(axes):
        if index % ncols == 0:
            ax.set_ylabel(ylabel)
        if index + ncols >= len(axes):
            ax.set_xlabel(xlabel)
            ax.tick_params(axis="x", labelbottom=True)


def nothing_to_plot(search: Search, what: str, ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """A figure that says so, rather than an exception in the middle of a report."""
    if ax is None:
        figure = new_figure(7.5, 2.5)
        target = figure.add_subplot()
        suptitle(figure, search, what)
    else:
        target = axes_list(ax, 1, "a message")[0]
        target.set_title(what)
    target.text(0.5, 0.5, "no complete trials to plot", ha="center", va="center", transform=target.transAxes)
    target.set_axis_off()
    return target.figure


def percent(value: float | None) -> float:
    return math.nan if value is None else 100.0 * value
