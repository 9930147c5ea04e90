"""What a trained model holds: every parameter matrix, and first-layer weights as images.

The original report drew each parameter matrix with imshow, where the first layer's rows
read as stripes; folded back to 28×28 they show the garment templates each unit responds to.
A CNN's first layer is a set of small filters instead (edges, blobs), drawn the same way.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from npnn.report.figures import axes_list, mosaic, new_figure, styled
from npnn.report.sources import Run
from npnn.training.checkpoint import load_best
from npnn.training.run_dir import RunDir

MATRIX_CMAP = "winter"  # the original report's
TEMPLATE_CMAP = "RdBu_r"  # diverging: red pixels push a unit up, blue ones down
TILE_TITLES_UP_TO = 64  # more tiles than this get no unit numbers (they would crowd the images)


def load_best_state(run: Run) -> dict[str, np.ndarray]:
    """The weights of the run's best checkpoint (highest validation accuracy), by parameter name."""
    path = RunDir(run.path).best
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the run kept no best checkpoint (it stopped before its first "
            f"evaluation, or the file was moved). Continue it with `npnn train --resume {run.path}`, "
            f"or train it again with `npnn train --config {run.path / 'config.json'}`")
    state, _ = load_best(path)
    return {name: np.asarray(value) for name, value in state.items()}


def _rows(state: Mapping[str, np.ndarray]) -> list[tuple[str, np.ndarray, str | None, np.ndarray | None]]:
    """(matrix name, matrix, bias name, bias) per row: each weight with the bias of its layer
    beside it; a vector without a matrix gets a row of its own (matrix None)."""
    arrays = {name: np.asarray(value) for name, value in state.items()}
    rows: list[tuple[str, np.ndarray, str | None, np.ndarray | None]] = []
    paired: set[str] = set()
    for name, value in arrays.items():
        if value.ndim < 2:
            continue
        matrix = value.reshape(value.shape[0], -1)
        bias_name = name.rsplit(".", 1)[0] + ".bias" if "." in name else "bias"
        bias = arrays.get(bias_name)
        if bias is not None and bias.ndim == 1 and len(bias) == len(matrix):
            paired.add(bias_name)
            rows.append((name, matrix, bias_name, bias))
        else:
            rows.append((name, matrix, None, None))
    rows += [(name, None, name, value.reshape(-1)) for name, value in arrays.items()  # type: ignore[misc]
             if value.ndim < 2 and name not in paired]
    return rows


def _shape(name: str, array: np.ndarray) -> str:
    return f"{name} {' × '.join(str(n) for n in array.shape)}"


def _draw_matrix(figure: Figure, ax: Axes, name: str, matrix: np.ndarray) -> None:
    """Colours span the 0.5th to 99.5th percentile (arrows on the colorbar when that clips), so a
    few large weights do not flatten the rest into one colour."""
    finite = matrix[np.isfinite(matrix)]
    low, high = np.percentile(finite, [0.5, 99.5]) if finite.size else (0.0, 1.0)
    clips = [finite.size > 0 and finite.min() < low, finite.size > 0 and finite.max() > high]
    extend = {(True, True): "both", (True, False): "min", (False, True): "max"}.get(tuple(clips), "neither")
    # more cells than pixels: average them; fewer: draw each cell crisp instead of blurring it
    smoothing = "antialiased" if max(matrix.shape) > 300 else "nearest"
    image = ax.imshow(matrix, cmap=MATRIX_CMAP, aspect="auto", interpolation=smoothing, vmin=low, vmax=high)
    ax.set_title(_shape(name, matrix))
    ax.set_xlabel("input unit")
    ax.set_ylabel("output unit")
    ax.grid(False)
    figure.colorbar(image, ax=ax, label="weight", pad=0.01, extend=extend)


def _draw_bias(ax: Axes, name: str, bias: np.ndarray, beside: bool) -> None:
    """Beside a matrix: bias value (x) against the matrix's output units (shared y)."""
    units = np.arange(len(bias))
    marker = "o" if len(bias) <= 32 else None
    if beside:
        ax.plot(bias, units, color="C2", linewidth=0.7, marker=marker, markersize=3, gid="bias")
        ax.set_xlabel("bias")
        ax.tick_params(axis="y", labelleft=False)
        ax.axvline(0.0, color="0.5", linewidth=0.6)
        ax.xaxis.set_major_locator(MaxNLocator(3, prune="upper"))
    else:
        ax.plot(units, bias, color="C2", linewidth=1.0, marker=marker, markersize=3, gid="bias")
        ax.set_xlabel("unit")
        ax.set_ylabel("value")
    ax.set_title(_shape(name, bias), fontsize=9)


@styled
def plot_parameter_matrices(state: Mapping[str, np.ndarray], title: str = "",
                            ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """Every weight matrix as an image (the original's winter colormap, a colorbar each), rows =
    output units, with its layer's bias drawn alongside against the same units. `ax`: Axes to
    draw into, one per weight matrix (its bias is then left out; a lone vector gets its own)."""
    rows = _rows(state)
    if ax is not None:
        axes = axes_list(ax, len(rows), "one per parameter matrix")
        for target, (name, matrix, bias_name, bias) in zip(axes, rows, strict=False):
            if matrix is None:
                _draw_bias(target, bias_name, bias, beside=False)  # type: ignore[arg-type]
            else:
                _draw_matrix(target.figure, target, name, matrix)
        return axes[0].figure
    figure = new_figure(7.5, 0.6 + 2.4 * max(len(rows), 1))
    figure.suptitle(title or "Parameters")
    if not rows:
        ax = figure.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no parameters", ha="center", va="center", color="0.4")
        return figure
    grid = figure.add_gridspec(len(rows), 2, width_ratios=[4.0, 1.2], wspace=0.08)
    for i, (name, matrix, bias_name, bias) in enumerate(rows):
        if matrix is None:
            _draw_bias(figure.add_subplot(grid[i, :]), bias_name, bias, beside=False)  # type: ignore[arg-type]
            continue
        ax = figure.add_subplot(grid[i, 0])
        _draw_matrix(figure, ax, name, matrix)
        if bias is not None:
            _draw_bias(figure.add_subplot(grid[i, 1], sharey=ax), bias_name, bias, beside=True)  # type: ignore[arg-type]
    return figure


def first_weight(state: Mapping[str, np.ndarray]) -> np.ndarray:
    """The first weight of a model: an MLP's first matrix or a CNN's first filter bank (4-D)."""
    return next(np.asarray(value) for value in state.values() if np.ndim(value) in (2, 4))


def is_convolutional(state: Mapping[str, np.ndarray]) -> bool:
    """Whether the model's first layer is a convolution (a CNN), judged from its weights."""
    return first_weight(state).ndim == 4


def plot_first_layer_filters(weight: np.ndarray, max_units: int = 100, title: str = "",
                             ax: Axes | None = None) -> Figure:
    """A CNN's first convolution weights (out channels × 1 × kH × kW) as one kH×kW image per
    filter, on the templates' diverging scale (red pixels raise the channel, blue lower it);
    into `ax` as one mosaic where given."""
    weight = np.asarray(weight)
    if weight.ndim != 4 or weight.shape[1] != 1:
        raise ValueError(f"expected first-layer filters of shape (channels, 1, kH, kW) for grey images, "
                         f"got {weight.shape}")
    kernel = weight.shape[2:]
    return plot_first_layer_templates(weight.reshape(len(weight), -1), kernel, max_units,
                                      title or f"First-layer {kernel[0]}×{kernel[1]} filters", unit="filter",
                                      ax=ax)


@styled
def plot_first_layer_templates(weight: np.ndarray, image_shape: tuple[int, int] = (28, 28),
                               max_units: int = 100, title: str = "", unit: str = "unit",
                               ax: Axes | None = None) -> Figure:
    """First-layer weights (out × pixels) as one image per hidden unit, on one diverging scale
    centred on 0, so each unit's preferred garment shape is visible. Beyond `max_units` units,
    those with the largest weight norm are shown, largest first. `unit` names a tile ('filter'
    for a CNN's). With `ax`, the tiles are drawn into it as one mosaic (the original's viz_model
    style), row by row in the same order, with a colour bar beside it."""
    weight = np.asarray(weight, dtype=np.float64)
    pixels = math.prod(image_shape)
    if weight.ndim != 2 or weight.shape[1] != pixels:
        transposed = weight.ndim == 2 and weight.shape[0] == pixels
        hint = " (this one is transposed: pass weight.T)" if transposed else ""
        raise ValueError(f"expected first-layer weights of shape (units, {pixels}) for {image_shape} images, "
                         f"got {weight.shape}{hint}")
    if max_units < 1:
        raise ValueError(f"max_units must be at least 1, got {max_units}")
    count = len(weight)
    if count > max_units:
        norms = np.nan_to_num(np.linalg.norm(weight, axis=1), nan=-1.0)
        units = np.argsort(-norms, kind="stable")[:max_units]
        heading = f"{max_units} of {count} {unit}s with the largest ‖w‖"
    else:
        units = np.arange(count)
        heading = f"all {count} {unit}s"
    limit = _symmetric_limit(weight[units])
    if ax is not None:
        return _draw_mosaic(ax, weight[units].reshape(-1, *image_shape), limit,
                            f"{title or 'First-layer weights as images'}: {heading}")
    titled = len(units) <= TILE_TITLES_UP_TO
    heading = textwrap.fill(f"{title or 'First-layer weights as images'}: {heading}", 80)
    width, height, rects, bar = _tile_layout(len(units), titled, heading.count("\n") + 1)
    figure = new_figure(width, height)
    figure.set_layout_engine("none")  # placed by hand: a layout engine takes ~1 s for 100 tiles
    figure.suptitle(heading, y=1 - 0.12 / height, va="top")
    image = None
    for rect, index in zip(rects, units, strict=True):
        ax = figure.add_axes(rect)
        image = ax.imshow(weight[index].reshape(image_shape), cmap=TEMPLATE_CMAP, vmin=-limit, vmax=limit,
                          interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set(visible=True, color="0.75", linewidth=0.5)
        if titled:
            ax.set_title(f"{unit} {index}", fontsize=7, pad=2)
    if image is None:
        figure.text(0.5, 0.5, f"no {unit}s", ha="center", va="center", color="0.4")
    else:
        clipped = limit < float(np.nanmax(np.abs(weight[units])))
        cax = figure.add_axes(bar, label="<colorbar>")
        figure.colorbar(image, cax=cax, extend="both" if clipped else "neither",
                        label="weight (0 = white)" + (f"; clipped at ±{limit:.2g}" if clipped else ""))
    return figure


def _draw_mosaic(ax: Axes, tiles: np.ndarray, limit: float, heading: str) -> Figure:
    """The tiles as one image in `ax`, on the ±limit diverging scale, gaps left blank."""
    ax.grid(False)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(textwrap.fill(heading, 60), fontsize=9)
    if not len(tiles):
        ax.text(0.5, 0.5, "nothing to show", ha="center", va="center", color="0.4", transform=ax.transAxes)
        return ax.figure
    image = ax.imshow(mosaic(tiles, max(1, math.ceil(math.sqrt(len(tiles))))), cmap=TEMPLATE_CMAP,
                      vmin=-limit, vmax=limit, interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label="weight (0 = white)", shrink=0.8)
    return ax.figure


def _symmetric_limit(weights: np.ndarray) -> float:
    """±limit of the colour scale: the 99.5th percentile of |w|, so one outlier pixel cannot wash
    every tile out to white."""
    magnitude = np.abs(weights[np.isfinite(weights)])
    limit = float(np.percentile(magnitude, 99.5)) if magnitude.size else 0.0
    return limit or 1.0


Rect = tuple[float, float, float, float]


def _tile_layout(count: int, titled: bool, title_lines: int) -> tuple[float, float, list[Rect], Rect]:
    """Figure (width, height) in inches, a square tile per unit in rows and the colorbar's place
    at the right (rects in figure fractions), laid out by hand."""
    width, margin, colorbar_space, gap = 7.0, 0.12, 1.0, 0.06
    ncols = max(1, math.ceil(math.sqrt(count)))
    nrows = max(1, math.ceil(count / ncols))
    row_gap = 0.2 if titled else gap
    tile = min((width - 2 * margin - colorbar_space - (ncols - 1) * gap) / ncols, 1.6)
    top = 0.15 + 0.2 * title_lines + (0.15 if titled else 0.0)
    grid_height = nrows * (tile + row_gap) - row_gap
    height = top + grid_height + margin
    rects = []
    for index in range(count):
        row, col = divmod(index, ncols)
        left, upper = margin + col * (tile + gap), top + row * (tile + row_gap)
        rects.append((left / width, 1 - (upper + tile) / height, tile / width, tile / height))
    bar_left = margin + ncols * (tile + gap) + 0.1
    bar = (bar_left / width, (margin + 0.1 * grid_height) / height, 0.15 / width, 0.8 * grid_height / height)
    return width, height, rects, bar
