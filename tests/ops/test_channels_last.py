"""Convolutions return channels-last arrays; every op after them gives the values and gradients it
gives for the same input laid out as (N, C, H, W)."""

import numpy as np
import pytest

import npnn
import npnn.nn.functional as F
from npnn.ops.layout import is_channels_last

RNG = np.random.default_rng(0)


def run(op, array, upstream, channels_last):
    """op's output and input gradient; with `channels_last`, the input is first passed through a
    1×1 convolution by the identity (exact), which lays it out channels-last."""
    x = npnn.tensor(array, requires_grad=True)
    identity = npnn.eye(array.shape[1]).reshape(array.shape[1], array.shape[1], 1, 1)
    source = F.conv2d(x, identity) if channels_last else x
    assert is_channels_last(source.detach().numpy()) == channels_last
    out = op(source)
    out.backward(npnn.tensor(upstream))
    return out.detach().numpy(), x.grad.numpy()


def test_a_convolution_returns_channels_last():
    x = npnn.tensor(RNG.standard_normal((2, 3, 9, 9), dtype=np.float32))
    out = F.conv2d(x, npnn.tensor(RNG.standard_normal((5, 3, 3, 3), dtype=np.float32)), padding=1)
    assert out.shape == (2, 5, 9, 9) and is_channels_last(out.numpy())
    assert not is_channels_last(x.numpy())
    transposed = F.conv_transpose2d(out, npnn.tensor(RNG.standard_normal((5, 2, 4, 4), dtype=np.float32)),
                                    stride=2, padding=1)
    assert transposed.shape == (2, 2, 18, 18) and is_channels_last(transposed.numpy())


WEIGHT = npnn.tensor(np.linspace(-1, 1, 6 * 4 * 9, dtype=np.float32).reshape(6, 4, 3, 3))
OPS = {
    "conv": lambda x: F.conv2d(x, WEIGHT, npnn.tensor(np.arange(6, dtype=np.float32)), padding=1),
    "conv strided, dilated": lambda x: F.conv2d(x, WEIGHT, stride=2, padding=(1, 2), dilation=2),
    "max pool": lambda x: F.max_pool2d(x, 2),
    "max pool, overlapping and padded": lambda x: F.max_pool2d(x, 3, stride=2, padding=1),
    "relu": F.relu,
    "batch norm": lambda x: F.batch_norm(x, npnn.zeros(4), npnn.ones(4), npnn.ones(4) * 2, npnn.ones(4),
                                         training=True),
    "batch norm, eval": lambda x: F.batch_norm(x, npnn.zeros(4), npnn.ones(4) * 2, training=False),
    "avg pool": lambda x: F.avg_pool2d(x, 2),
    "flatten": lambda x: x.flatten(1),
    "conv transpose": lambda x: F.conv_transpose2d(x, WEIGHT[:4, :3], stride=2, padding=1, output_padding=1),
    "conv transpose with bias": lambda x: F.conv_transpose2d(x, WEIGHT[:4], npnn.ones(4)),
    "interpolate nearest": lambda x: F.interpolate(x, scale_factor=2),
    "interpolate bilinear": lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear"),
    "group norm": lambda x: F.group_norm(x, 2, npnn.ones(4) * 2, npnn.ones(4)),
}


@pytest.mark.parametrize("name", OPS)
def test_channels_last_input_gives_the_values_of_contiguous_input(name):
    array = RNG.standard_normal((3, 4, 10, 10), dtype=np.float32)
    op = OPS[name]
    upstream = RNG.standard_normal(op(npnn.tensor(array)).shape, dtype=np.float32)
    expected = run(op, array, upstream, channels_last=False)
    got = run(op, array, upstream, channels_last=True)
    for want, have in zip(expected, got, strict=True):
        np.testing.assert_allclose(have, want, rtol=1e-5, atol=1e-5)
    if name in ("max pool", "relu", "batch norm", "batch norm, eval"):
        assert is_channels_last(got[0])  # the layout is kept for the next op
