"""Parameter matrices and first-layer templates, from freshly built (untrained) MLPs."""


import numpy as np
import pytest

from npnn.report.figures import figure_bytes
from npnn.report.sources import Run, load_run
from npnn.report.weights import load_best_state, plot_first_layer_templates, plot_parameter_matrices
from npnn.training import checkpoint
from npnn.training.config import TrainConfig
from npnn.training.history import History
from npnn.training.recipe import build_model

PNG = b"\x89PNG\r\n\x1a\n"


def mlp_state(hidden):
    return build_model(TrainConfig(hidden=hidden, dropout=0.0)).state_dict()


def image_axes(figure):
    return [ax for ax in figure.axes if ax.images and ax.get_label() != "<colorbar>"]


def colorbars(figure):
    return [ax for ax in figure.axes if ax.get_label() == "<colorbar>"]


# ----- parameter matrices -----
def test_one_panel_per_matrix_with_its_bias_and_colorbar():
    state = mlp_state([16])
    figure = plot_parameter_matrices(state, title="fresh 784-16-10")
    matrices = image_axes(figure)
    assert [ax.get_title() for ax in matrices] == ["layers.0.weight 16 × 784", "layers.2.weight 10 × 16"]
    for ax, name in zip(matrices, ["layers.0.weight", "layers.2.weight"], strict=True):
        np.testing.assert_array_equal(ax.images[0].get_array(), state[name])
        assert ax.get_xlabel() == "input unit" and ax.get_ylabel() == "output unit"
        assert ax.images[0].get_cmap().name == "winter"
    assert len(colorbars(figure)) == 2
    biases = [ax for ax in figure.axes if any(ln.get_gid() == "bias" for ln in ax.lines)]
    assert [ax.get_title() for ax in biases] == ["layers.0.bias 16", "layers.2.bias 10"]
    np.testing.assert_array_equal(biases[0].lines[0].get_xdata(), state["layers.0.bias"])
    assert figure.get_suptitle() == "fresh 784-16-10"
    assert figure_bytes(figure).startswith(PNG)


def test_two_hidden_layers_give_three_rows():
    figure = plot_parameter_matrices(mlp_state([32, 16]))
    assert len(image_axes(figure)) == 3 and len(colorbars(figure)) == 3


def test_unpaired_vector_and_empty_state():
    state = {"scale": np.arange(5.0), "w": np.ones((3, 4))}
    figure = plot_parameter_matrices(state)
    assert len(image_axes(figure)) == 1
    vector = [ax for ax in figure.axes if ax.get_title() == "scale 5"]
    assert len(vector) == 1
    np.testing.assert_array_equal(vector[0].lines[0].get_ydata(), np.arange(5.0))
    empty = plot_parameter_matrices({})
    assert any(t.get_text() == "no parameters" for ax in empty.axes for t in ax.texts)


def test_big_matrix_renders_whole():
    state = {"layers.0.weight": np.random.default_rng(0).normal(size=(512, 784)).astype(np.float32)}
    figure = plot_parameter_matrices(state)
    assert [ax.images[0].get_array().shape for ax in image_axes(figure)] == [(512, 784)]
    assert figure_bytes(figure).startswith(PNG)


# ----- first-layer templates -----
def test_templates_pick_the_largest_norms_and_say_so():
    rng = np.random.default_rng(1)
    weight = rng.normal(size=(20, 784)) * np.arange(1, 21)[:, None] / 20  # norm grows with the unit
    figure = plot_first_layer_templates(weight, max_units=8)
    tiles = image_axes(figure)
    assert len(tiles) == 8
    assert "8 of 20 units with the largest ‖w‖" in figure.get_suptitle()
    for tile, unit in zip(tiles, range(19, 11, -1), strict=True):  # largest first
        np.testing.assert_array_equal(tile.images[0].get_array(), weight[unit].reshape(28, 28))
        assert tile.get_xticks().size == 0 and tile.get_yticks().size == 0
    assert len(colorbars(figure)) == 1
    low, high = tiles[0].images[0].get_clim()
    assert high > 0 and low == -high
    assert all(tile.images[0].get_clim() == (low, high) for tile in tiles)


def test_templates_are_upright():
    """Fashion-MNIST pixels are row-major (IDX, and load.py's reshape(N, -1)), so a unit that
    looks for a bright top row must show its red pixels at the top of its tile."""
    image = np.zeros((28, 28))
    image[0, :] = 1.0  # top row
    image[:, 3] = 0.5  # a column near the left edge
    weight = np.stack([image.reshape(-1), -image.reshape(-1)])
    figure = plot_first_layer_templates(weight)
    tile = image_axes(figure)[0].images[0]
    np.testing.assert_array_equal(tile.get_array(), image)
    assert tile.origin == "upper"
    flat = image[None].reshape(1, -1)  # how the data loader flattens a 28×28 image
    assert float(weight[0] @ flat[0]) == pytest.approx(float((tile.get_array() * image).sum()))
    assert "all 2 units" in figure.get_suptitle()
    assert [ax.get_title() for ax in image_axes(figure)] == ["unit 0", "unit 1"]


def test_one_outlier_does_not_wash_out_the_scale():
    weight = np.random.default_rng(2).normal(scale=0.1, size=(16, 784))
    weight[3, 100] = 50.0
    figure = plot_first_layer_templates(weight)
    _, high = image_axes(figure)[0].images[0].get_clim()
    assert high < 1.0
    assert "clipped" in colorbars(figure)[0].get_ylabel()


def test_transposed_or_bad_weights_are_refused():
    with pytest.raises(ValueError, match=r"weight\.T"):
        plot_first_layer_templates(np.zeros((784, 16)))
    with pytest.raises(ValueError, match="max_units"):
        plot_first_layer_templates(np.zeros((4, 784)), max_units=0)


def test_templates_of_a_built_mlp():
    state = mlp_state([16])
    figure = plot_first_layer_templates(state["layers.0.weight"], title="untrained")
    assert len(image_axes(figure)) == 16 and figure.get_suptitle().startswith("untrained: all 16 units")
    assert figure_bytes(figure).startswith(PNG)


# ----- loading -----
def make_run(path):
    return Run(path, TrainConfig(hidden=[16]), History(), {"status": "finished"})


def test_load_best_state_round_trip(tmp_path):
    config = TrainConfig(hidden=[16])
    model = build_model(config)
    checkpoint.save_best(tmp_path / "best.safetensors", model, config.to_dict(), {"step": 1})
    state = load_best_state(make_run(tmp_path))
    expected = model.state_dict()
    assert list(state) == list(expected)
    for name, value in expected.items():
        np.testing.assert_array_equal(state[name], value)


def test_missing_checkpoint_names_the_file_and_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"best\.safetensors is missing.*npnn train"):
        load_best_state(make_run(tmp_path))


def test_real_best_checkpoint(small_search):
    from npnn.report import load_search

    run = load_run(load_search(small_search).best()[0].run_dir)
    state = load_best_state(run)
    width = run.config.hidden[0]
    assert state["layers.0.weight"].shape == (width, 784)
    figure = plot_first_layer_templates(state["layers.0.weight"], max_units=8)
    assert f"8 of {width} units" in figure.get_suptitle()
    assert figure_bytes(figure).startswith(PNG)
    assert figure_bytes(plot_parameter_matrices(state)).startswith(PNG)
