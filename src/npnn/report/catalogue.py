"""The one list of figures that `npnn plot` writes and the report embeds: which function draws each
figure from which loaded source, its file stem and its caption. Adding a figure is one entry here.

Each group below draws from one source, loaded once by the caller (`npnn plot` from the paths it is
given, the report from the runs it has already read): runs for CURVES, a Search for SEARCH, a
checkpoint's state for WEIGHTS (CNN_WEIGHTS for a CNN's: `weights_entries` picks), a CNN and one
test image for FEATURES, the (results, predictions) of one test evaluation for CONFUSION.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

from npnn.report.confusion import plot_confusion, plot_misclassified
from npnn.report.curves import plot_lr_schedule, plot_training_curves
from npnn.report.feature_maps import plot_feature_maps
from npnn.report.search_plots import plot_accuracy_vs_lr, plot_accuracy_vs_strength, plot_search_heatmap
from npnn.report.weights import (
    first_weight,
    is_convolutional,
    plot_first_layer_filters,
    plot_first_layer_templates,
    plot_parameter_matrices,
)


@dataclass(frozen=True)
class Entry:
    """One figure: `draw(source, title)` gives it (a list when it spans several figures, numbered
    stem-1, stem-2, ...); the caption's {heading} and {label} name the model in the report."""

    stem: str
    caption: str
    draw: Callable[[Any, str], Figure | list[Figure]]
    report_stem: str = ""  # the report's name where it differs from the plot file's


CURVES = (
    Entry("curves", "Train loss (dashed, left axis) and validation accuracy (dotted, right axis) at each "
          "evaluation; smoothed lines over faint raw values.",
          lambda runs, title: plot_training_curves(runs)),
    Entry("lr-schedule", "Learning rate over training, as the scheduler set it.",
          lambda runs, title: plot_lr_schedule(runs)),
)

SEARCH = (
    Entry("search-heatmap", "Validation accuracy over learning rate × regularization, one panel per hidden "
          "layout.", lambda search, title: plot_search_heatmap(search)),
    Entry("accuracy-vs-lr", "Accuracy against learning rate with hidden layout and regularization fixed "
          "(the original's second search plot).", lambda search, title: plot_accuracy_vs_lr(search)),
    Entry("accuracy-vs-strength", "Accuracy against regularization strength with hidden layout and "
          "learning rate fixed: one row per layout, one column per learning rate (the original's first "
          "search plot).", lambda search, title: plot_accuracy_vs_strength(search)),
)

WEIGHTS = (
    Entry("first-layer", "{heading} ({label}): first-layer weights, one 28×28 image per hidden unit (red "
          "positive, blue negative).",
          lambda state, title: plot_first_layer_templates(first_weight(state), title=title),
          report_stem="templates"),
    Entry("parameters", "{heading}: every parameter matrix (winter colormap, as the original).",
          lambda state, title: plot_parameter_matrices(state, title=title)),
)

CNN_WEIGHTS = (
    Entry("first-layer", "{heading} ({label}): the first convolution's filters, one image per output "
          "channel (red positive, blue negative): the edges and blobs the CNN looks for first.",
          lambda state, title: plot_first_layer_filters(first_weight(state), title=title),
          report_stem="filters"),
    Entry("parameters", "{heading}: every parameter as a matrix, a convolution's filters flattened to "
          "one row per output channel (winter colormap, as the original).",
          lambda state, title: plot_parameter_matrices(state, title=title)),
)

FEATURES = (
    Entry("feature-maps", "{heading} ({label}): the first test image and, after each convolution block "
          "(pooling included), the channels most active on it.",
          lambda sample, title: plot_feature_maps(sample, title=title)),
)

CONFUSION = (
    Entry("confusion", "Confusion matrix (cells: % of the true class) and per-class accuracy.",
          lambda tested, title: plot_confusion(tested[0], title=title)),
    Entry("misclassified", "A sample of misclassified test images: true and predicted class with the "
          "model's confidence.", lambda tested, title: plot_misclassified(tested[1], title=title)),
)

def weights_entries(state: dict[str, Any]) -> tuple[Entry, ...]:
    """The WEIGHTS group that suits the model whose `state` it is: CNN_WEIGHTS for a CNN's."""
    return CNN_WEIGHTS if is_convolutional(state) else WEIGHTS


def draw(entries: Sequence[Entry], source: Any, title: str = "") -> Iterator[tuple[Entry, str, Figure]]:
    """(entry, file stem, figure) of each entry drawn from `source`, in catalogue order."""
    for entry in entries:
        drawn = entry.draw(source, title)
        if isinstance(drawn, Figure):
            yield entry, entry.stem, drawn
        else:
            for index, figure in enumerate(drawn, start=1):
                yield entry, f"{entry.stem}-{index}", figure
