"""The presets reproduce the original system's two grids exactly."""

import itertools

import pytest

from npnn.search import preset
from npnn.search.space import SpaceError, decode


def _configs(name):
    space = preset(name)
    grid = space.grid()
    return [space.config(dict(zip(grid, values, strict=True)))
            for values in itertools.product(*grid.values())]


def test_original_1_is_120_trials_with_coupled_batch_sizes():
    configs = _configs("original-1")
    assert len(configs) == 120
    pairs = {(tuple(c.hidden), c.batch_size) for c in configs}
    assert pairs == {((512, 256), 2), ((256, 128), 4), ((256, 64), 8), ((128, 64), 8), ((256,), 8),
                     ((128,), 16)}
    assert sorted({c.lr for c in configs}) == [0.002, 0.004, 0.006, 0.008, 0.010]
    assert {(c.regularization, c.reg_strength) for c in configs} == {
        ("none", 0.0), ("l2", 0.1), ("l2", 0.01), ("l2", 0.001)}
    assert {c.epochs for c in configs} == {1}
    assert len({(tuple(c.hidden), c.batch_size, c.lr, c.regularization, c.reg_strength)
                for c in configs}) == 120


def test_original_2_is_150_trials_with_coupled_batch_sizes():
    configs = _configs("original-2")
    assert len(configs) == 150
    assert {(tuple(c.hidden), c.batch_size) for c in configs} == {((384,), 3), ((256,), 8), ((128,), 16)}
    assert sorted({c.lr for c in configs}) == [0.002, 0.004, 0.006, 0.008, 0.010, 0.012, 0.014,
                                               0.016, 0.018, 0.020]
    assert {(c.regularization, c.reg_strength) for c in configs} == {
        ("none", 0.0), ("l2", 0.1), ("l2", 0.01), ("l2", 0.005), ("l2", 0.001)}
    assert {c.epochs for c in configs} == {3}
    assert {(c.optimizer, c.dropout, c.label_smoothing, c.schedule) for c in configs} == {
        ("adam", 0.0, 0.0, "cosine")}


def test_wide_preset_is_a_tpe_search_without_a_grid():
    space = preset("wide")
    assert space.sampler == "tpe"
    with pytest.raises(SpaceError, match="grid needs"):
        space.grid()


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(SpaceError, match="original-1, original-2, wide"):
        preset("original-3")


def test_table_choices_decode_to_several_fields():
    assert decode("layout", '{"batch_size":3,"hidden":[384]}') == {"batch_size": 3, "hidden": [384]}
    assert decode("lr", 0.01) == {"lr": 0.01}


def test_cnn_preset_builds_valid_cnn_configs():
    space = preset("cnn")
    assert space.sampler == "tpe" and space.fixed["model"] == "cnn"
    searched = {param.name: param for param in space.params}
    assert {"channels", "kernel_size", "batch_norm", "cnn_hidden", "augmentation"} <= set(searched)
    first = {p.name: p.labels()[0] if p.choices else p.low for p in space.params}
    for param in space.params:  # every choice (and each end of a range) builds a valid config
        for value in param.labels() if param.choices else (param.low, param.high):
            config = space.config({**first, param.name: value})
            assert config.model == "cnn"
    erasing = space.config({**first, "augmentation": searched["augmentation"].labels()[-1]})
    assert erasing.augment and erasing.augment_erase == 0.5
