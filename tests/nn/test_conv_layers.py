"""Conv2d and MaxPool2d without a reference: defaults, shapes, argument errors, and learning on
real Fashion-MNIST images (PyTorch comparisons are in test_conv_layers_torch.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import npnn
import npnn.nn.functional as F
from npnn import nn
from npnn.data import load_fashion_mnist


def test_conv2d_parameters_follow_pytorch_defaults() -> None:
    layer = nn.Conv2d(3, 8, 5)
    assert layer.weight.shape == (8, 3, 5, 5) and layer.bias.shape == (8,)
    assert layer.weight.dtype == np.float32
    bound = 1 / math.sqrt(3 * 5 * 5)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.8 * bound  # spread over the range, not near 0
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert repr(layer) == "Conv2d(3, 8, kernel_size=(5, 5), stride=(1, 1))"
    assert nn.Conv2d(3, 8, 3, bias=False).bias is None


@pytest.mark.parametrize("kwargs, size, expected", [
    ({"kernel_size": 3}, (28, 28), (26, 26)),
    ({"kernel_size": 3, "padding": 1}, (28, 28), (28, 28)),
    ({"kernel_size": 5, "stride": 2, "padding": 2}, (28, 28), (14, 14)),
    ({"kernel_size": (3, 1), "dilation": (2, 1)}, (10, 7), (6, 7)),
])
def test_conv2d_output_size(kwargs, size, expected) -> None:
    out = nn.Conv2d(2, 4, **kwargs)(npnn.randn(3, 2, *size))
    assert out.shape == (3, 4, *expected)


def test_max_pool2d_output_and_default_stride() -> None:
    x = npnn.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    np.testing.assert_array_equal(nn.MaxPool2d(2)(x).data, [[[[5.0, 7.0], [13.0, 15.0]]]])
    assert nn.MaxPool2d(3, stride=1)(x).shape == (1, 1, 2, 2)


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.conv2d(npnn.randn(1, 28, 28), npnn.randn(4, 1, 3, 3)), RuntimeError, "unsqueeze"),
    (lambda: F.conv2d(npnn.randn(2, 3, 8, 8), npnn.randn(4, 2, 3, 3)), RuntimeError, r"\(out_channels, 3"),
    (lambda: F.conv2d(npnn.randn(2, 1, 2, 2), npnn.randn(4, 1, 3, 3)), RuntimeError, "larger than"),
    (lambda: F.conv2d(npnn.randn(2, 1, 8, 8), npnn.randn(4, 1, 3, 3), stride=0), ValueError, "stride"),
    (lambda: nn.Conv2d(4, 5, 3, groups=2), ValueError, "out_channels must be divisible by groups"),
    (lambda: F.max_pool2d(npnn.randn(1, 1, 4, 4), 2, padding=2), ValueError, "half of kernel_size"),
    (lambda: F.max_pool2d(npnn.randn(1, 1, 2, 2), 3), RuntimeError, "larger than"),
    (lambda: F.max_pool2d(npnn.randn(1, 1, 4, 4), 2, ceil_mode=True), NotImplementedError, "ceil_mode"),
])
def test_bad_arguments_are_refused_with_a_message(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()


def test_a_small_cnn_learns_fashion_mnist() -> None:
    train = load_fashion_mnist("train", standardize=True, subset=3000)
    val = load_fashion_mnist("val", standardize=True, subset=1000)
    npnn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
    optimizer = npnn.optim.Adam(model.parameters(), lr=2e-3)
    images = train.images.reshape(-1, 1, 28, 28)
    for epoch in range(2):
        order = np.random.default_rng(epoch).permutation(len(images))
        for start in range(0, len(images), 64):
            batch = order[start:start + 64]
            loss = F.cross_entropy(model(npnn.tensor(images[batch])), npnn.tensor(train.labels[batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with npnn.no_grad():
        predicted = model(npnn.tensor(val.images.reshape(-1, 1, 28, 28))).array.argmax(axis=1)
    assert (predicted == val.labels).mean() > 0.75
