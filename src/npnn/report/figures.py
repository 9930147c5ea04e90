"""Figure making shared by every plot: one house style, PNG/SVG writing, EMA smoothing.

Figures are `matplotlib.figure.Figure` objects made without pyplot, so nothing needs a
display, no global figure list grows, and plots can be drawn from any thread.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from npnn.serialization import atomic_write_bytes

FORMATS = ("png", "svg")
DPI = 110  # a 7-inch-wide figure is ~770 px: sharp on a laptop, small inside the HTML report

STYLE: dict[str, Any] = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.constrained_layout.use": True,  # no overlapping labels at the default size
}


def new_figure(width: float = 7.0, height: float = 4.0, **subplot_kw: Any) -> Figure:
    """An empty figure in the house style (inches; about 110 dpi when saved)."""
    with matplotlib.rc_context(STYLE):
        return Figure(figsize=(width, height), layout="constrained", **subplot_kw)


def styled(function: Any) -> Any:
    """Decorator: draw inside the house style, so rcParams reach ticks, fonts and grids."""
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with matplotlib.rc_context(STYLE):
            return function(*args, **kwargs)

    return wrapper


def figure_bytes(figure: Figure, fmt: str = "png") -> bytes:
    """The figure encoded as PNG or SVG."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    buffer = io.BytesIO()
    with matplotlib.rc_context({**STYLE, "svg.hashsalt": "npnn", "svg.fonttype": "none"}):
        figure.savefig(buffer, format=fmt, dpi=DPI, metadata=_metadata(fmt))
    return buffer.getvalue()


def _metadata(fmt: str) -> dict[str, Any]:
    """No creation date in the files, so the same runs give byte-identical figures."""
    return {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}


def save_figure(figure: Figure, path: str | Path, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Write `path` with each format's suffix (atomically); return the files written."""
    base = Path(path)
    written = []
    for fmt in formats:
        target = base.with_suffix(f".{fmt}")
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, figure_bytes(figure, fmt))
        written.append(target)
    return written


def ema(values: Sequence[float], alpha: float = 0.2) -> np.ndarray:
    """Exponential moving average s[i] = alpha * x[i] + (1 - alpha) * s[i-1], s[0] = x[0]
    (the original report's smoothing); NaNs are carried over, not propagated."""
    x = np.asarray(values, dtype=np.float64)
    out = np.empty_like(x)
    previous = np.nan
    for i, value in enumerate(x):
        if np.isnan(previous):
            previous = value
        elif not np.isnan(value):
            previous = alpha * value + (1 - alpha) * previous
        out[i] = previous
    return out


def mosaic(tiles: np.ndarray, ncols: int, gap: int = 1) -> np.ndarray:
    """Tiles (N, h, w) as one image, `ncols` to a row, NaN between and after them: one imshow
    into one Axes where a figure of our own would give each tile its own."""
    count, height, width = tiles.shape
    nrows = max(1, -(-count // ncols))
    image = np.full((nrows * (height + gap) - gap, ncols * (width + gap) - gap), np.nan)
    for index, tile in enumerate(tiles):
        row, col = divmod(index, ncols)
        image[row * (height + gap):row * (height + gap) + height,
              col * (width + gap):col * (width + gap) + width] = tile
    return image


def axes_list(ax: Any, needed: int, what: str) -> list[Any]:
    """The Axes a caller gave (one, or a sequence or array of them, flattened in row-major order);
    ValueError if there are fewer than `needed`."""
    axes = list(np.ravel(np.asarray(ax, dtype=object))) if isinstance(ax, Sequence | np.ndarray) else [ax]
    if len(axes) < needed:
        raise ValueError(f"this plot draws {needed} panels ({what}) but {len(axes)} Axes were given: "
                         f"pass at least {needed}")
    return axes
