"""TrainConfig: validation with messages naming the field, and a JSON round trip."""

import pytest

from npnn.training import ConfigError, TrainConfig
from npnn.training.recipe import build_model


def test_json_round_trip_is_exact(tmp_path):
    config = TrainConfig(hidden=[128, 64], lr=3e-4, optimizer="sgd", nesterov=True, patience=4,
                         regularization="l2", reg_strength=1e-3, clip_grad_norm=2.0)
    path = tmp_path / "config.json"
    path.write_text(config.to_json())
    assert TrainConfig.load(path) == config


@pytest.mark.parametrize("changes, field", [
    ({"lr": -1.0}, "lr"),
    ({"lr": 0}, "lr"),
    ({"batch_size": 0}, "batch_size"),
    ({"hidden": []}, "hidden"),
    ({"hidden": [64, 0]}, "hidden"),
    ({"optimizer": "rmsprop"}, "optimizer"),
    ({"activation": "swish"}, "activation"),
    ({"regularization": "l3"}, "regularization"),
    ({"regularization": "l2", "reg_strength": 0.0}, "reg_strength"),
    ({"dropout": 1.0}, "dropout"),
    ({"epochs": 0}, "epochs"),
    ({"nesterov": True, "optimizer": "adam"}, "nesterov"),
    ({"patience": 0}, "patience"),
    ({"lr": float("nan")}, "lr"),
    ({"batch_size": 2.5}, "batch_size"),
    ({"model": "resnet"}, "model"),
    ({"model": "cnn", "channels": []}, "channels"),
    ({"model": "cnn", "channels": [32, -1]}, "channels"),
    ({"model": "cnn", "channels": [8] * 5}, "channels"),  # 28 → 14 → 7 → 3 → 1 → 0
    ({"model": "cnn", "kernel_size": 4}, "kernel_size"),
    ({"model": "cnn", "kernel_size": 29}, "kernel_size"),
    ({"model": "cnn", "cnn_hidden": [0]}, "cnn_hidden"),
    ({"pool": "min"}, "pool"),
    ({"augment_erase": 0.5}, "augment_erase"),  # without augment
    ({"augment_flip": True}, "augment_flip"),
    ({"augment": True, "augment_shift": 9}, "augment_shift"),
    ({"augment": True, "augment_erase": 1.5}, "augment_erase"),
    ({"model": "cnn", "convs_per_block": 0}, "convs_per_block"),
    ({"convs_per_block": 2}, "convs_per_block"),  # the MLP has no convolutions
    ({"val_fraction": 0}, "val_fraction"),
    ({"val_fraction": 1.0}, "val_fraction"),
    ({"val_fraction": "0.1"}, "val_fraction"),
])
def test_invalid_values_name_the_field(changes, field):
    with pytest.raises(ConfigError) as error:
        TrainConfig(**changes)
    assert error.value.field == field


def test_unknown_setting_in_a_file_is_refused(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"hiden": [10]}')
    with pytest.raises(ConfigError, match="unknown setting"):
        TrainConfig.load(path)


def test_broken_json_names_the_file(tmp_path):
    path = tmp_path / "c.json"
    path.write_text("{")
    with pytest.raises(ConfigError, match=r"c\.json"):
        TrainConfig.load(path)


@pytest.mark.parametrize("hidden", [5, None, "256"])
def test_hidden_that_is_not_a_list_is_a_config_error(hidden):
    with pytest.raises(ConfigError) as error:
        TrainConfig.from_dict({"hidden": hidden})
    assert error.value.field == "hidden" and "list" in error.value.reason


def test_errors_from_a_file_name_the_file_and_the_field(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"lr": -1}')
    with pytest.raises(ConfigError) as error:
        TrainConfig.load(path)
    assert str(error.value).startswith(f"{path}: lr: ") and error.value.source == str(path)


def test_unknown_setting_names_the_key_and_the_likely_one():
    with pytest.raises(ConfigError, match="did you mean 'hidden'") as error:
        TrainConfig.from_dict({"hiden": [10]})
    assert error.value.field == "hiden"


def test_booleans_must_be_booleans():
    with pytest.raises(ConfigError) as error:
        TrainConfig.from_dict({"standardize": "no"})
    assert error.value.field == "standardize"


def test_split_seed_defaults_to_the_seed_and_reaches_the_data_options():
    assert TrainConfig(seed=3).data_options()["seed"] == 3
    assert TrainConfig(seed=3, split_seed=0).data_options()["seed"] == 0
    with pytest.raises(ConfigError):
        TrainConfig(split_seed=-1)


def test_cnn_settings_round_trip_and_lists_from_tuples(tmp_path):
    config = TrainConfig(model="cnn", channels=(16, 32, 64), kernel_size=5, cnn_hidden=(256, 64),
                         augment=True, augment_shift=4, augment_flip=True, augment_erase=0.25)
    assert config.channels == [16, 32, 64] and config.cnn_hidden == [256, 64]
    path = tmp_path / "config.json"
    path.write_text(config.to_json())
    assert TrainConfig.load(path) == config


def test_batch_norm_and_average_pooling_build_their_layers():
    config = TrainConfig(model="cnn", channels=[4, 8], batch_norm=True, pool="avg")
    kinds = [type(layer).__name__ for layer in build_model(config).features]
    assert kinds == ["Conv2d", "BatchNorm2d", "ReLU", "AvgPool2d"] * 2


def test_batch_norm_is_for_the_cnn_only():
    with pytest.raises(ConfigError, match="--model cnn only"):
        TrainConfig(batch_norm=True)


def test_the_cnn_gets_its_own_defaults_of_shared_settings():
    from npnn.search.presets import preset
    from npnn.training.config import MODEL_DEFAULTS

    cnn = TrainConfig.from_dict({"model": "cnn"})
    for name, value in MODEL_DEFAULTS["cnn"].items():
        assert getattr(cnn, name) == value != getattr(TrainConfig(), name)
    assert TrainConfig.from_dict({"model": "cnn", "epochs": 3}).epochs == 3  # a given setting wins
    assert TrainConfig.from_dict({"model": "mlp"}) == TrainConfig()
    saved = TrainConfig(model="cnn")  # the constructor keeps the MLP's; a saved config.json is whole
    assert TrainConfig.from_dict(saved.to_dict()) == saved
    space = preset("cnn")
    assert space.values({})["epochs"] == space.fixed.get("epochs", MODEL_DEFAULTS["cnn"]["epochs"])


def test_a_model_that_is_not_a_name_is_refused_by_name():
    with pytest.raises(ConfigError, match="model"):
        TrainConfig.from_dict({"model": ["cnn"]})
