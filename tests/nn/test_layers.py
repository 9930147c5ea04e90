"""Layers without a reference: shapes, defaults, argument checks, finite-difference gradients."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.autograd.gradcheck import gradcheck


@pytest.mark.parametrize("shape", [(5,), (2, 5), (2, 3, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_output_shape_and_formula(shape: tuple[int, ...], bias: bool,
                                         rng: np.random.Generator) -> None:
    layer = nn.Linear(5, 4, bias=bias, dtype=np.float64)
    x = rng.standard_normal(shape)
    expected = x @ layer.weight.array.T + (layer.bias.array if bias else 0.0)
    out = layer(npnn.tensor(x))
    assert out.shape == (*shape[:-1], 4)
    np.testing.assert_allclose(out.array, expected, rtol=1e-12)
    assert (layer.bias is None) == (not bias)


def test_linear_default_dtype_is_float32() -> None:
    layer = nn.Linear(3, 2)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert nn.Linear(3, 2, dtype=np.float64).weight.dtype == np.float64


@pytest.mark.parametrize("start_dim, end_dim, shape", [(1, -1, (2, 12)), (0, -1, (24,)),
                                                       (1, 2, (2, 12)), (0, 1, (6, 4))])
def test_flatten_shapes(start_dim: int, end_dim: int, shape: tuple[int, ...]) -> None:
    x = npnn.arange(24).reshape(2, 3, 4)
    out = nn.Flatten(start_dim, end_dim)(x)
    assert out.shape == shape
    np.testing.assert_array_equal(out.array.reshape(-1), np.arange(24))


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_bad_probability(p: float) -> None:
    with pytest.raises(ValueError, match=r"has to be between 0 and 1, but got"):  # torch's text
        nn.Dropout(p)


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_dropout_train_mode_keeps_the_expectation(p: float) -> None:
    npnn.manual_seed(3)
    x = npnn.ones(400, 250, requires_grad=True)
    out = nn.Dropout(p)(x)
    kept = out.array != 0
    assert abs(kept.mean() - (1 - p)) < 0.01
    if p < 1:
        np.testing.assert_allclose(out.array[kept], 1 / (1 - p), rtol=1e-6)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.array)  # the gradient is the same scaled mask


def test_dropout_draws_are_reproducible_with_manual_seed() -> None:
    x = npnn.ones(10, 10)
    npnn.manual_seed(11)
    first = nn.Dropout(0.5)(x).array
    npnn.manual_seed(11)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).array, first)


@pytest.mark.parametrize("shape", [(4,), (3, 5), (2, 4, 5)])
def test_batchnorm_rejects_wrong_shapes(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\) expects input of shape \(N, 3\)"):
        nn.BatchNorm1d(3)(npnn.ones(*shape))


@pytest.mark.parametrize("track_running_stats", [True, False])
def test_batchnorm_training_needs_more_than_one_value_per_channel(track_running_stats: bool) -> None:
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3, track_running_stats=track_running_stats)(npnn.ones(1, 3))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3, track_running_stats=track_running_stats)(npnn.ones(1, 3, 1))
    nn.BatchNorm1d(3).eval()(npnn.ones(1, 3))  # eval mode is fine


def test_batchnorm_without_running_stats_always_uses_batch_stats(rng: np.random.Generator) -> None:
    bn = nn.BatchNorm1d(2, track_running_stats=False, dtype=np.float64).eval()
    x = rng.normal(5.0, 2.0, size=(10, 2))
    np.testing.assert_allclose(bn(npnn.tensor(x)).array, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5),
                               rtol=1e-12)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
def test_batchnorm_gradients_pass_gradcheck(shape: tuple[int, ...], rng: np.random.Generator) -> None:
    bn = nn.BatchNorm1d(3, dtype=np.float64)
    bn.weight.array[...] = rng.uniform(0.5, 1.5, 3)
    bn.bias.array[...] = rng.standard_normal(3)
    x = npnn.tensor(rng.standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda x, weight, bias: bn(x), (x, bn.weight, bn.bias))


@pytest.mark.parametrize("module, text", [
    (nn.Linear(3, 2, bias=False), "Linear(in_features=3, out_features=2, bias=False)"),
    (nn.Flatten(), "Flatten(start_dim=1, end_dim=-1)"),
    (nn.Identity(), "Identity()"),
    (nn.BatchNorm1d(4, momentum=None, affine=False),
     "BatchNorm1d(4, eps=1e-05, momentum=None, affine=False, bias=False, track_running_stats=True)"),
])
def test_layer_repr(module: nn.Module, text: str) -> None:
    assert repr(module) == text
