"""Plots and the report of a CNN run: first-layer filters and feature maps, not 28×28 templates."""

import os
import subprocess
import sys

import numpy as np
import pytest

from npnn.data import load_fashion_mnist
from npnn.report import build_report
from npnn.report.catalogue import CNN_WEIGHTS, WEIGHTS, weights_entries
from npnn.report.feature_maps import block_outputs, first_test_sample
from npnn.report.sources import load_run
from npnn.report.weights import load_best_state, plot_first_layer_filters
from npnn.training import TrainConfig, Trainer

CNN = TrainConfig(model="cnn", channels=[6, 4], cnn_hidden=[16], epochs=1, batch_size=100, train_subset=300)


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    """A CNN run of 3 steps, validated on 500 images: enough for a best checkpoint."""
    data = (load_fashion_mnist("train", subset=300), load_fashion_mnist("val", subset=500))
    out = tmp_path_factory.mktemp("cnn")
    Trainer.create(CNN, out, run_id="cnn", data=data).fit()
    return out / "cnn"


def test_weights_of_a_cnn_are_its_filters(cnn_run):
    state = load_best_state(load_run(cnn_run))
    assert weights_entries(state) is CNN_WEIGHTS
    assert weights_entries({"layers.0.weight": np.zeros((4, 784))}) is WEIGHTS
    figure = plot_first_layer_filters(state["features.0.weight"])
    tiles = [ax for ax in figure.axes if ax.images and ax.get_label() != "<colorbar>"]
    assert [ax.get_title() for ax in tiles] == [f"filter {i}" for i in range(6)]
    np.testing.assert_array_equal(tiles[2].images[0].get_array(), state["features.0.weight"][2, 0])
    with pytest.raises(ValueError, match="channels, 1, kH, kW"):
        plot_first_layer_filters(np.zeros((4, 3, 3, 3)))


def test_feature_maps_follow_each_block(cnn_run):
    sample = first_test_sample(load_run(cnn_run))
    assert sample.image.shape == (1, 28, 28) and sample.label == "Ankle boot"  # the test file's first
    assert [maps.shape for maps in block_outputs(sample.model, sample.image)] == [(6, 14, 14), (4, 7, 7)]


def test_report_says_cnn_and_shows_filters_and_feature_maps(cnn_run):
    report = build_report(cnn_run)
    setup = report.sections[1].blocks[0].items
    assert any(line.startswith("Model: CNN: 2 blocks of 3×3 convolution") for line in setup)
    weights = next(s for s in report.sections if s.title == "Weights")
    names = [block.name for block in weights.blocks if hasattr(block, "name")]
    assert names == ["filters-1", "parameters-1", "feature-maps-1"]


def test_plot_weights_of_a_cnn_run_writes_filters_and_feature_maps(cnn_run, tmp_path):
    command = [sys.executable, "-m", "npnn", "plot", "weights", str(cnn_run), "-o", str(tmp_path)]
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["feature-maps.png", "first-layer.png", "parameters.png"]
