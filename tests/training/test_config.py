"""TrainConfig: validation with messages naming the field, and a JSON round trip."""

import pytest

from npnn.training import ConfigError, TrainConfig


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
