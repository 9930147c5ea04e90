"""Conv2d and MaxPool2d against PyTorch CPU: forward values and gradients from identical weights."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
from torch_training import assert_trains_as_pytorch  # noqa: E402  (after the torch check)


def torch_dtype(dtype: np.dtype) -> torch.dtype:
    return {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}[dtype]


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 3},
    {"kernel_size": 3, "padding": 1, "bias": False},
    {"kernel_size": (3, 2), "stride": 2, "padding": (1, 0)},
    {"kernel_size": 3, "dilation": 2, "padding": 2},
], ids=["3x3", "same-padding-no-bias", "rect-stride", "dilated"])
def test_conv2d(kwargs, dtype, rng, compare_with_torch) -> None:
    reference = torch.nn.Conv2d(3, 5, dtype=torch_dtype(dtype), **kwargs)
    layer = nn.Conv2d(3, 5, dtype=dtype, **kwargs)
    compare_with_torch(layer, reference, [rng.standard_normal((2, 3, 9, 8)).astype(dtype)], dtype)


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (2, 3), "stride": 1, "dilation": 2},
], ids=["2x2", "3x3-s2-p1", "dilated-overlapping"])
def test_max_pool2d(kwargs, dtype, rng, compare_with_torch) -> None:
    x = rng.standard_normal((2, 3, 9, 8)).astype(dtype)
    compare_with_torch(nn.MaxPool2d(**kwargs), torch.nn.MaxPool2d(**kwargs), [x], dtype)


def test_max_pool2d_sends_a_tied_window_gradient_to_the_first_maximum_as_pytorch() -> None:
    x = np.array([[[[1.0, 1.0], [0.0, 1.0]]]])  # three equal maxima in one window
    mine = npnn.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    nn.MaxPool2d(2)(mine).sum().backward()
    torch.nn.MaxPool2d(2)(theirs).sum().backward()
    np.testing.assert_array_equal(mine.grad, theirs.grad.numpy())


def test_a_small_cnn_matches_pytorch_through_a_training_step(rng) -> None:
    def build(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(1, 4, 3, padding=1), lib.nn.ReLU(), lib.nn.MaxPool2d(2),
                                 lib.nn.Conv2d(4, 6, 3), lib.nn.ReLU(), lib.nn.Flatten(),
                                 lib.nn.Linear(6 * 5 * 5, 10))

    x, y = rng.standard_normal((8, 1, 14, 14)), rng.integers(0, 10, 8)
    assert_trains_as_pytorch(build, x, y)


def test_max_pool2d_passes_nan_values_and_gradients_as_pytorch() -> None:
    x = np.array([[[[1.0, np.nan, 3.0, 2.0], [0.0, 5.0, np.nan, np.nan],
                    [4.0, 4.0, 1.0, 1.0], [4.0, 2.0, 0.0, 1.0]]]])
    upstream = np.array([[[[1.0, np.nan], [2.0, 3.0]]]])
    mine = npnn.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out = nn.MaxPool2d(2)(mine)
    expected = torch.nn.MaxPool2d(2)(theirs)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(out.data, expected.detach().numpy())  # NaN where torch has NaN
    np.testing.assert_array_equal(mine.grad, theirs.grad.numpy())


@pytest.mark.parametrize("kernel_size", [2, (2, 3), (3, 1)])
def test_max_pool2d_with_disjoint_windows_matches_pytorch_on_ties_and_uncovered_edges(kernel_size,
                                                                                     rng) -> None:
    # stride = kernel (npnn's own fast path); 7x8 leaves rows/columns no window covers; values
    # drawn from {0, 1, 2} tie often, as ReLU's zeros do; the gradient is random
    x = rng.integers(0, 3, (3, 4, 7, 8)).astype(np.float32)
    mine, theirs = npnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = nn.MaxPool2d(kernel_size)(mine), torch.nn.MaxPool2d(kernel_size)(theirs)
    upstream = rng.standard_normal(expected.shape).astype(np.float32)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    np.testing.assert_array_equal(mine.grad, theirs.grad.numpy())
