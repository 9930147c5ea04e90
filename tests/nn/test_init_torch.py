"""Initializers against torch.nn.init: gains exactly, draws within statistical tolerance."""

from __future__ import annotations

import math

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.nn import init

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

GAIN_CASES = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
              ("conv_transpose1d", None), ("conv_transpose2d", None), ("conv_transpose3d", None),
              ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
              ("leaky_relu", 0.2), ("leaky_relu", 0), ("leaky_relu", math.sqrt(5)), ("selu", None)]


@pytest.mark.parametrize("nonlinearity, param", GAIN_CASES)
def test_calculate_gain_matches_torch(nonlinearity: str, param: float | None) -> None:
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15)


def test_unknown_nonlinearity_is_rejected_by_both() -> None:
    with pytest.raises(ValueError):
        torch.nn.init.calculate_gain("swish")
    with pytest.raises(ValueError, match="swish"):
        init.calculate_gain("swish")


INIT_CASES = [
    ("uniform_", {"a": -0.5, "b": 2.0}),
    ("normal_", {"mean": 0.3, "std": 1.7}),
    ("xavier_uniform_", {"gain": 2.0}),
    ("xavier_normal_", {}),
    ("kaiming_uniform_", {}),
    ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", {"mode": "fan_in", "nonlinearity": "relu"}),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "tanh"}),
    ("zeros_", {}),
    ("ones_", {}),
]


@pytest.mark.parametrize("name, kwargs", INIT_CASES, ids=[f"{n}{k or ''}" for n, k in INIT_CASES])
def test_init_statistics_match_torch(name: str, kwargs: dict) -> None:
    shape = (384, 96, 5)
    torch.manual_seed(0)
    expected = getattr(torch.nn.init, name)(torch.empty(shape, dtype=torch.float64), **kwargs).numpy()
    npnn.manual_seed(0)
    actual = getattr(init, name)(npnn.empty(*shape, dtype=np.float64), **kwargs).data
    std = max(expected.std(), 1e-12)
    assert abs(actual.mean() - expected.mean()) < 7 * std / math.sqrt(expected.size)
    assert actual.std() == pytest.approx(expected.std(), rel=0.015, abs=1e-12)
    if "uniform" in name:  # the sample's extremes sit at the bounds
        assert actual.min() == pytest.approx(expected.min(), abs=0.01 * std)
        assert actual.max() == pytest.approx(expected.max(), abs=0.01 * std)


def test_constant_matches_torch() -> None:
    expected = torch.nn.init.constant_(torch.empty(3, 2), 0.7).numpy()
    np.testing.assert_array_equal(init.constant_(npnn.empty(3, 2), 0.7).data, expected)


def test_linear_default_init_range_matches_torch() -> None:
    torch.manual_seed(0)
    npnn.manual_seed(0)
    reference, layer = torch.nn.Linear(500, 200), nn.Linear(500, 200)
    for name in ("weight", "bias"):
        expected = getattr(reference, name).detach().numpy()
        actual = getattr(layer, name).data
        assert np.abs(actual).max() <= 1 / math.sqrt(500)
        assert np.abs(actual).max() == pytest.approx(np.abs(expected).max(), rel=0.02)
        assert actual.std() == pytest.approx(expected.std(), rel=0.1 if name == "bias" else 0.02)
