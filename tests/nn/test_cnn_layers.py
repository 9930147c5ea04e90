"""BatchNorm2d, AvgPool2d, AdaptiveAvgPool2d and Dropout2d without PyTorch: shapes, running
statistics, modes, and the errors a user meets."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.autograd.gradcheck import gradcheck
from npnn.nn import functional as F


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (2, 4, 5, 5)], ids=["2d", "3d", "wrong-channels"])
def test_batchnorm2d_rejects_inputs_that_are_not_n_c_h_w(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\) expects input of shape \(N, 3, H, W\)"):
        nn.BatchNorm2d(3)(npnn.ones(*shape))


def test_batchnorm2d_training_needs_more_than_one_value_per_channel() -> None:
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm2d(3)(npnn.ones(1, 3, 1, 1))
    assert nn.BatchNorm2d(3)(npnn.ones(1, 3, 2, 1)).shape == (1, 3, 2, 1)  # two pixels are enough
    assert nn.BatchNorm2d(3).eval()(npnn.ones(1, 3, 1, 1)).shape == (1, 3, 1, 1)


def test_batchnorm2d_statistics_are_over_batch_and_pixels(rng: np.random.Generator) -> None:
    bn = nn.BatchNorm2d(2, momentum=0.25, dtype=np.float64)
    x = rng.normal(3.0, 2.0, size=(4, 2, 3, 5))
    out = bn(npnn.tensor(x)).array
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    expected = (x - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean.array, 0.25 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.array, 0.75 + 0.25 * var * 60 / 59, rtol=1e-12)
    assert int(bn.num_batches_tracked.array) == 1 and bn.num_batches_tracked.dtype == np.int64


def test_batchnorm2d_momentum_none_keeps_the_cumulative_average(rng: np.random.Generator) -> None:
    bn = nn.BatchNorm2d(3, momentum=None, dtype=np.float64)
    batches = [rng.normal(i, 1.0 + i, size=(3, 3, 2, 2)) for i in range(5)]
    for x in batches:
        bn(npnn.tensor(x))
    np.testing.assert_allclose(bn.running_mean.array, np.mean([x.mean(axis=(0, 2, 3)) for x in batches], 0),
                               rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.array,
                               np.mean([x.var(axis=(0, 2, 3), ddof=1) for x in batches], 0), rtol=1e-12)
    bn.reset_running_stats()
    assert int(bn.num_batches_tracked.array) == 0 and (bn.running_var.array == 1).all()


def test_batchnorm2d_eval_uses_running_stats_and_leaves_them_alone(rng: np.random.Generator) -> None:
    bn = nn.BatchNorm2d(2, dtype=np.float64).eval()
    bn.running_mean.array[...] = [1.0, -2.0]
    bn.running_var.array[...] = [4.0, 0.25]
    x = rng.standard_normal((3, 2, 2, 2))
    out = bn(npnn.tensor(x)).array
    std = np.sqrt(np.array([4.0, 0.25]) + 1e-5)
    expected = (x - np.array([1.0, -2.0])[:, None, None]) / std[:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert bn.running_mean.array.tolist() == [1.0, -2.0] and int(bn.num_batches_tracked.array) == 0


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batchnorm2d_gradients_pass_gradcheck(training: bool, rng: np.random.Generator) -> None:
    bn = nn.BatchNorm2d(3, dtype=np.float64).train(training)
    bn.weight.array[...] = rng.uniform(0.5, 1.5, 3)
    bn.bias.array[...] = rng.standard_normal(3)
    bn.running_var.array[...] = rng.uniform(0.5, 2.0, 3)
    x = npnn.tensor(rng.standard_normal((3, 3, 2, 3)), requires_grad=True)
    assert gradcheck(lambda x, weight, bias: bn(x), (x, bn.weight, bn.bias))


def test_batchnorm2d_state_dict_keys_follow_the_options() -> None:
    assert list(nn.BatchNorm2d(3).state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                                    "num_batches_tracked"]
    assert list(nn.BatchNorm2d(3, affine=False, track_running_stats=False).state_dict()) == []


def test_batch_norm_functional_checks_the_sizes_of_its_statistics() -> None:
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 2"):
        F.batch_norm(npnn.ones(2, 3, 2, 2), npnn.zeros(2), npnn.ones(3))
    with pytest.raises(ValueError, match="eval mode needs running_mean and running_var"):
        F.batch_norm(npnn.ones(2, 3, 2, 2), None, None)


def test_avg_pool2d_shapes_and_errors() -> None:
    x = npnn.ones(2, 3, 7, 7)
    assert F.avg_pool2d(x, 2).shape == (2, 3, 3, 3)
    assert F.avg_pool2d(x, 2, ceil_mode=True).shape == (2, 3, 4, 4)
    assert nn.AvgPool2d(3, stride=1, padding=1)(x).shape == (2, 3, 7, 7)
    with pytest.raises(RuntimeError, match="pad should be at most half of kernel size"):
        F.avg_pool2d(x, 3, padding=2)
    with pytest.raises(RuntimeError, match=r"output size .* is too small"):
        F.avg_pool2d(npnn.ones(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match=r"expected input of shape \(N, C, H, W\) or \(C, H, W\)"):
        F.avg_pool2d(npnn.ones(4, 4), 2)


def test_adaptive_avg_pool2d_of_one_is_the_global_mean(rng: np.random.Generator) -> None:
    x = rng.standard_normal((2, 3, 5, 7))
    out = nn.AdaptiveAvgPool2d(1)(npnn.tensor(x))
    assert out.shape == (2, 3, 1, 1)
    np.testing.assert_allclose(out.array[..., 0, 0], x.mean(axis=(2, 3)), rtol=1e-12)
    with pytest.raises(RuntimeError, match=r"output_size must be 2 \(an int or a pair\)"):
        F.adaptive_avg_pool2d(npnn.tensor(x), (1, 2, 3))


def test_dropout2d_is_reproducible_with_manual_seed_and_the_identity_in_eval() -> None:
    x = npnn.ones(4, 8, 3, 3)
    npnn.manual_seed(5)
    first = nn.Dropout2d(0.5)(x).array
    npnn.manual_seed(5)
    np.testing.assert_array_equal(nn.Dropout2d(0.5)(x).array, first)
    assert 0 < (first == 0).mean() < 1
    layer = nn.Dropout2d(0.5).eval()
    assert layer(x) is x


def test_dropout2d_errors_name_the_fix() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout2d(1.5)
    with pytest.raises(ValueError, match="use dropout for element-wise dropout"):
        F.dropout2d(npnn.ones(4, 5), 0.5)
