"""What a CNN sees: the feature maps of one test image after each of its blocks.

Drawn from the run's best checkpoint on the first test image, prepared as in training, so
the figure shows what the trained filters pick out (and what pooling keeps) at each depth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from npnn._tensor import Tensor
from npnn.autograd.grad_mode import no_grad
from npnn.data import CLASS_NAMES
from npnn.models import CNN
from npnn.nn.module import Module
from npnn.report.figures import axes_list, mosaic, new_figure, styled
from npnn.report.sources import Run
from npnn.training.datasets import load_split
from npnn.training.evaluation import load_best_model

MAPS_PER_BLOCK = 8  # the channels shown of each block: those most active on the image


@dataclass
class Sample:
    """A trained CNN and one image (1, H, W) as it sees it, with the image's true class."""

    model: CNN
    image: np.ndarray
    label: str


def first_test_sample(run: Run, data_dir: str | None = None) -> Sample:
    """The run's best CNN and the first test image; ValueError for a run that trained an MLP."""
    model, config, _ = load_best_model(run.path)
    if not isinstance(model, CNN):
        raise ValueError(f"{run.path} trained an MLP: feature maps need a CNN (`--model cnn`)")
    test = load_split(config, "test", data_dir=data_dir, subset=1)
    image = np.asarray(test.images[:1], dtype=np.float32).reshape(model.image_shape)
    return Sample(model, image, CLASS_NAMES[int(np.asarray(test.labels)[0])])


def block_outputs(model: CNN, image: np.ndarray) -> list[np.ndarray]:
    """The (C, H, W) output of each block (after its pooling), in eval mode without a graph."""
    outputs, maps = [], Tensor(image[None])
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for layer in model.features:
                maps = layer(maps)
                if _is_pool(layer):
                    outputs.append(maps.numpy()[0])
    finally:
        model.train(was_training)
    return outputs


def _is_pool(layer: Module) -> bool:
    return type(layer).__name__.endswith("Pool2d")


@styled
def plot_feature_maps(sample: Sample, title: str = "", ax: Sequence[Axes] | None = None) -> Figure:
    """The input image, then one row per block of its most active channels (largest mean
    activation), each map on its own grey scale. `ax`: Axes to draw into, one for the input and
    one per block (that block's strongest channels side by side, each scaled to its own range)."""
    outputs = block_outputs(sample.model, sample.image)
    columns = min(MAPS_PER_BLOCK, max(len(maps) for maps in outputs))
    if ax is not None:
        axes = axes_list(ax, 1 + len(outputs), "the input, then one per block")
        axes[0].imshow(sample.image[0], cmap="gray_r", interpolation="nearest")
        axes[0].set_title(f"{title + ': ' if title else ''}input ({sample.label})", fontsize=8)
        for row, (target, maps) in enumerate(zip(axes[1:], outputs, strict=False)):
            strongest = np.argsort(-maps.mean(axis=(1, 2)), kind="stable")[:columns]
            tiles = np.stack([_unit_range(maps[channel]) for channel in strongest])
            target.imshow(mosaic(tiles, len(tiles)), cmap="viridis", interpolation="nearest")
            target.set_title(f"block {row + 1}: channels {', '.join(str(c) for c in strongest)}", fontsize=7)
        for target in axes[:1 + len(outputs)]:
            _bare(target)
        return axes[0].figure
    figure = new_figure(1.0 + 0.95 * columns, 1.2 + 1.05 * len(outputs))
    figure.suptitle(f"{title + ': ' if title else ''}feature maps of the first test image ({sample.label})")
    grid = figure.add_gridspec(len(outputs), columns + 1)
    ax = figure.add_subplot(grid[:, 0])
    ax.imshow(sample.image[0], cmap="gray_r", interpolation="nearest")
    ax.set_title("input", fontsize=8)
    _bare(ax)
    for row, maps in enumerate(outputs):
        strongest = np.argsort(-maps.mean(axis=(1, 2)), kind="stable")[:columns]
        for column, channel in enumerate(strongest):
            ax = figure.add_subplot(grid[row, column + 1])
            ax.imshow(maps[channel], cmap="viridis", interpolation="nearest")
            ax.set_title(f"block {row + 1} ch {channel}", fontsize=7)
            _bare(ax)
    return figure


def _unit_range(image: np.ndarray) -> np.ndarray:
    """One map scaled to [0, 1], so maps of different strength share a mosaic's colour scale."""
    low, high = float(image.min()), float(image.max())
    return (image - low) / (high - low) if high > low else np.zeros_like(image, dtype=np.float64)


def _bare(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
