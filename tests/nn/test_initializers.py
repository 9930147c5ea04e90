"""Initializers: sample statistics against the formulas, gains, generators and seeding."""

from __future__ import annotations

import math

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.nn import init

SHAPE = (256, 128, 9)  # fan_in = 128·9 = 1152, fan_out = 256·9 = 2304
FAN = {"fan_in": 1152, "fan_out": 2304}
RELU, TANH = math.sqrt(2.0), 5.0 / 3


def uniform(low: float, high: float) -> tuple[str, float, float]:
    return ("uniform", low, high)


def normal(mean: float, std: float) -> tuple[str, float, float]:
    return ("normal", mean, std)


def kaiming_bound(gain: float, mode: str) -> float:
    return gain * math.sqrt(3.0 / FAN[mode])


XAVIER_BOUND = math.sqrt(6.0 / (1152 + 2304))
XAVIER_STD = math.sqrt(2.0 / (1152 + 2304))

# (id, initializer, kwargs, expected distribution)
INITIALIZERS = [
    ("uniform", "uniform_", {"a": -2.0, "b": 3.0}, uniform(-2.0, 3.0)),
    ("uniform-default", "uniform_", {}, uniform(0.0, 1.0)),
    ("normal", "normal_", {"mean": 1.0, "std": 2.0}, normal(1.0, 2.0)),
    ("xavier_uniform", "xavier_uniform_", {}, uniform(-XAVIER_BOUND, XAVIER_BOUND)),
    ("xavier_uniform-gain", "xavier_uniform_", {"gain": TANH},
     uniform(-TANH * XAVIER_BOUND, TANH * XAVIER_BOUND)),
    ("xavier_normal", "xavier_normal_", {}, normal(0.0, XAVIER_STD)),
    ("xavier_normal-gain", "xavier_normal_", {"gain": RELU}, normal(0.0, RELU * XAVIER_STD)),
]
for _mode in FAN:
    for _nonlinearity, _a, _gain in [("relu", 0.0, RELU), ("leaky_relu", 0.0, RELU),
                                     ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("tanh", 0.0, TANH),
                                     ("linear", 0.0, 1.0), ("selu", 0.0, 0.75)]:
        _kwargs = {"a": _a, "mode": _mode, "nonlinearity": _nonlinearity}
        _bound = kaiming_bound(_gain, _mode)
        INITIALIZERS += [
            (f"kaiming_uniform-{_mode}-{_nonlinearity}-{_a}", "kaiming_uniform_", _kwargs,
             uniform(-_bound, _bound)),
            (f"kaiming_normal-{_mode}-{_nonlinearity}-{_a}", "kaiming_normal_", _kwargs,
             normal(0.0, _gain / math.sqrt(FAN[_mode]))),
        ]


def assert_distribution(sample: np.ndarray, expected: tuple[str, float, float]) -> None:
    """Mean within 5 standard errors, std within 1 %, and the shape of the distribution."""
    kind, first, second = expected
    sample = sample.astype(np.float64).reshape(-1)
    if kind == "uniform":
        mean, std = (first + second) / 2, (second - first) / math.sqrt(12)
        assert sample.min() >= first and sample.max() <= second
        assert sample.min() < first + 1e-3 * (second - first)
        assert sample.max() > second - 1e-3 * (second - first)
    else:
        mean, std = first, second
        within_one_std = np.mean(np.abs(sample - mean) < std)
        assert abs(within_one_std - 0.6827) < 0.005  # a uniform with this std gives 0.577
    assert abs(sample.mean() - mean) < 5 * std / math.sqrt(sample.size)
    assert sample.std() == pytest.approx(std, rel=0.01)


@pytest.mark.parametrize("name, kwargs, expected", [entry[1:] for entry in INITIALIZERS],
                         ids=[entry[0] for entry in INITIALIZERS])
def test_initializer_statistics_match_the_formula(name, kwargs, expected) -> None:
    tensor = npnn.empty(*SHAPE)
    data = tensor.array
    assert getattr(init, name)(tensor, **kwargs, generator=npnn.Generator(0)) is tensor
    assert tensor.array is data and tensor.dtype == np.float32  # filled in place
    assert_distribution(tensor.array, expected)


@pytest.mark.parametrize("name, args, value", [("zeros_", (), 0.0), ("ones_", (), 1.0),
                                               ("constant_", (0.25,), 0.25)])
def test_constant_initializers(name: str, args: tuple, value: float) -> None:
    param = nn.Parameter(np.random.default_rng(0).standard_normal((3, 4)))
    assert getattr(init, name)(param, *args) is param
    np.testing.assert_array_equal(param.array, np.full((3, 4), value))
    assert param.dtype == np.float64 and param.is_leaf and param.grad is None


@pytest.mark.parametrize("nonlinearity, param, gain", [
    ("linear", None, 1.0), ("conv1d", None, 1.0), ("conv2d", None, 1.0), ("conv3d", None, 1.0),
    ("conv_transpose1d", None, 1.0), ("conv_transpose2d", None, 1.0), ("conv_transpose3d", None, 1.0),
    ("sigmoid", None, 1.0), ("tanh", None, TANH), ("relu", None, RELU),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))), ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
    ("leaky_relu", 0, RELU), ("selu", None, 0.75),
])
def test_calculate_gain(nonlinearity: str, param: float | None, gain: float) -> None:
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-15)


@pytest.mark.parametrize("call, match", [
    (lambda t: init.calculate_gain("swish"), "nonlinearity"),
    (lambda t: init.kaiming_uniform_(t, mode="fan_avg"), "fan_in"),
    (lambda t: init.xavier_uniform_(npnn.empty(5)), "at least 2 dims"),
    (lambda t: init.kaiming_normal_(npnn.empty(5)), "at least 2 dims"),
    (lambda t: init.uniform_(t, generator=42), "generator"),
])
def test_initializer_errors(call, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        call(npnn.empty(3, 4))


@pytest.mark.parametrize("make_generator", [npnn.Generator, np.random.default_rng],
                         ids=["npnn.Generator", "numpy.Generator"])
@pytest.mark.parametrize("name", ["uniform_", "normal_", "xavier_uniform_", "kaiming_normal_"])
def test_generator_gives_reproducible_draws_and_leaves_the_global_one_alone(make_generator, name) -> None:
    def draw(seed: int) -> np.ndarray:
        return getattr(init, name)(npnn.empty(20, 30), generator=make_generator(seed)).array

    npnn.manual_seed(0)
    expected_global = npnn.rand(5).array
    npnn.manual_seed(0)
    first = draw(1)
    np.testing.assert_array_equal(npnn.rand(5).array, expected_global)
    np.testing.assert_array_equal(draw(1), first)
    assert not np.array_equal(draw(2), first)


def test_manual_seed_makes_linear_init_reproducible() -> None:
    npnn.manual_seed(42)
    first = nn.Linear(6, 5).state_dict()
    npnn.manual_seed(42)
    second = nn.Linear(6, 5).state_dict()
    third = nn.Linear(6, 5).state_dict()
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])
        assert not np.array_equal(first[key], third[key])
    generated = [nn.Linear(6, 5, generator=npnn.Generator(3)).weight.array for _ in range(2)]
    np.testing.assert_array_equal(*generated)


def test_linear_default_init_bound_is_one_over_sqrt_in_features() -> None:
    npnn.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    assert_distribution(layer.weight.array, uniform(-bound, bound))
    assert np.abs(layer.bias.array).max() <= bound
    assert np.abs(layer.bias.array).max() > 0.9 * bound
