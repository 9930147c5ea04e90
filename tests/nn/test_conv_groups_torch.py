"""Grouped and depthwise convolutions (Conv2d, Conv1d, ConvTranspose2d with `groups`) against
PyTorch CPU: values and every gradient from identical weights, weight shapes, init bounds, repr,
state_dict keys, torch's error texts, and a MobileNet block trained as PyTorch trains it."""

from __future__ import annotations

import math

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
from torch_training import assert_trains_as_pytorch, sgd_losses  # noqa: E402  (after the torch check)

CONFIGS = {  # (in, out, groups, layer settings)
    "groups2": (4, 6, 2, {"kernel_size": 3}),
    "groups2-stride-padding-no-bias": (4, 4, 2, {"kernel_size": 3, "stride": 2, "padding": 1, "bias": False}),
    "groups3-dilated": (6, 9, 3, {"kernel_size": 2, "dilation": 2, "padding": 1}),
    "depthwise": (4, 4, 4, {"kernel_size": 3, "padding": 1}),
    "depthwise-stride-dilation-no-bias": (5, 5, 5, {"kernel_size": 3, "stride": 2, "padding": 2,
                                                    "dilation": 2, "bias": False}),
    "depthwise-multiplier2": (3, 6, 3, {"kernel_size": 3, "stride": 2}),
    "depthwise-multiplier2-padded": (4, 8, 4, {"kernel_size": 2, "padding": 1, "bias": False}),
}


def torch_dtype(dtype: np.dtype) -> torch.dtype:
    return {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}[dtype]


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_conv2d_groups(config, dtype, rng, compare_with_torch) -> None:
    c_in, c_out, groups, kwargs = config
    reference = torch.nn.Conv2d(c_in, c_out, groups=groups, dtype=torch_dtype(dtype), **kwargs)
    layer = nn.Conv2d(c_in, c_out, groups=groups, dtype=dtype, **kwargs)
    compare_with_torch(layer, reference, [rng.standard_normal((3, c_in, 9, 8)).astype(dtype)], dtype)


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_conv1d_groups(config, dtype, rng, compare_with_torch) -> None:
    c_in, c_out, groups, kwargs = config
    reference = torch.nn.Conv1d(c_in, c_out, groups=groups, dtype=torch_dtype(dtype), **kwargs)
    layer = nn.Conv1d(c_in, c_out, groups=groups, dtype=dtype, **kwargs)
    compare_with_torch(layer, reference, [rng.standard_normal((3, c_in, 11)).astype(dtype)], dtype)


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_conv_transpose2d_groups(config, dtype, rng, compare_with_torch) -> None:
    c_in, c_out, groups, kwargs = config
    if kwargs.get("stride", 1) > 1:
        kwargs = {**kwargs, "output_padding": 1}
    reference = torch.nn.ConvTranspose2d(c_in, c_out, groups=groups, dtype=torch_dtype(dtype), **kwargs)
    layer = nn.ConvTranspose2d(c_in, c_out, groups=groups, dtype=dtype, **kwargs)
    compare_with_torch(layer, reference, [rng.standard_normal((3, c_in, 5, 4)).astype(dtype)], dtype)


def test_conv2d_groups_on_a_channels_last_input_and_without_input_grad(rng) -> None:
    # the output of a convolution is a channels-last view: the next grouped layer reads it as it lies
    x = rng.standard_normal((2, 4, 7, 7))
    first, second = nn.Conv2d(4, 4, 3, groups=4).double(), nn.Conv2d(4, 8, 3, groups=2).double()
    theirs = torch.nn.Sequential(torch.nn.Conv2d(4, 4, 3, groups=4),
                                 torch.nn.Conv2d(4, 8, 3, groups=2)).double()
    for mine, reference in ((first, theirs[0]), (second, theirs[1])):
        mine.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    out, expected = second(first(npnn.tensor(x))), theirs(torch.tensor(x))
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    for mine, reference in ((first, theirs[0]), (second, theirs[1])):
        np.testing.assert_allclose(mine.weight.grad, reference.weight.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("layer, args", [
    ("Conv2d", (8, 16, 3)), ("Conv1d", (8, 16, 3)), ("ConvTranspose2d", (8, 16, 3)),
    ("Conv2d", (8, 8, (3, 1))),
])
@pytest.mark.parametrize("groups", [1, 2, 4])
def test_weight_shape_repr_state_dict_and_init_bound_are_torchs(layer, args, groups) -> None:
    mine, theirs = getattr(nn, layer)(*args, groups=groups), getattr(torch.nn, layer)(*args, groups=groups)
    assert repr(mine) == repr(theirs)
    assert {k: tuple(v.shape) for k, v in mine.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    fan_in = math.prod(theirs.weight.shape[1:])  # torch's: C_in/groups·k for conv, C_out/groups·k transposed
    bound = 1 / math.sqrt(fan_in)
    weight = np.asarray(mine.weight.data)
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.7 * bound
    assert np.abs(np.asarray(mine.bias.data)).max() <= bound


@pytest.mark.parametrize("layer, args, kwargs", [
    ("Conv2d", (5, 4, 3), {"groups": 2}), ("Conv2d", (4, 5, 3), {"groups": 2}),
    ("Conv2d", (4, 4, 3), {"groups": 0}), ("Conv1d", (5, 4, 3), {"groups": 2}),
    ("ConvTranspose2d", (4, 5, 3), {"groups": 2}), ("ConvTranspose2d", (4, 4, 3), {"groups": -1}),
])
def test_layer_errors_say_what_torch_says(layer, args, kwargs) -> None:
    with pytest.raises(ValueError) as expected:
        getattr(torch.nn, layer)(*args, **kwargs)
    with pytest.raises(ValueError) as error:
        getattr(nn, layer)(*args, **kwargs)
    assert str(error.value).startswith(str(expected.value))


@pytest.mark.parametrize("name, x_shape, w_shape, groups", [
    ("conv2d", (2, 4, 8, 8), (4, 3, 3, 3), 2),  # weight's C/groups does not match the input
    ("conv2d", (2, 4, 8, 8), (5, 2, 3, 3), 2),  # out_channels not divisible
    ("conv2d", (2, 5, 8, 8), (4, 2, 3, 3), 2),  # in_channels not divisible
    ("conv2d", (2, 3, 8, 8), (4, 2, 3, 3), 1),
    ("conv2d", (2, 4, 8, 8), (4, 2, 3, 3), 0),
    ("conv1d", (2, 4, 8), (4, 3, 3), 2), ("conv1d", (2, 4, 8), (5, 2, 3), 2),
    ("conv_transpose2d", (2, 6, 8, 8), (4, 2, 3, 3), 2), ("conv_transpose2d", (2, 5, 8, 8), (5, 2, 3, 3), 2),
    ("conv_transpose2d", (2, 4, 8, 8), (4, 2, 3, 3), 0),
])
def test_functional_errors_say_what_torch_says_and_the_fix(name, x_shape, w_shape, groups) -> None:
    x, w = np.zeros(x_shape, np.float32), np.zeros(w_shape, np.float32)
    with pytest.raises(RuntimeError) as expected:
        getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(w), groups=groups)
    with pytest.raises(RuntimeError) as error:
        getattr(F, name)(npnn.tensor(x), npnn.tensor(w), groups=groups)
    assert str(error.value).startswith(str(expected.value))
    assert len(str(error.value)) > len(str(expected.value)) + 10  # followed by what to change


def test_conv_transpose2d_groups_bias_of_the_wrong_size_is_refused_as_torch() -> None:
    x, w, b = np.zeros((2, 4, 5, 5), np.float32), np.zeros((4, 2, 3, 3), np.float32), np.zeros(2, np.float32)
    with pytest.raises(RuntimeError) as expected:
        torch.nn.functional.conv_transpose2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), groups=2)
    with pytest.raises(RuntimeError) as error:
        F.conv_transpose2d(npnn.tensor(x), npnn.tensor(w), npnn.tensor(b), groups=2)
    assert str(error.value) == str(expected.value)


def mobilenet_block(lib):
    """Depthwise 3x3 + pointwise 1x1, each followed by batch norm and ReLU, then a classifier."""
    return lib.nn.Sequential(
        lib.nn.Conv2d(3, 8, 3, padding=1, bias=False), lib.nn.BatchNorm2d(8), lib.nn.ReLU(),
        lib.nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8, bias=False), lib.nn.BatchNorm2d(8),
        lib.nn.ReLU(),
        lib.nn.Conv2d(8, 16, 1, bias=False), lib.nn.BatchNorm2d(16), lib.nn.ReLU(),
        lib.nn.AdaptiveAvgPool2d(1), lib.nn.Flatten(), lib.nn.Linear(16, 10))


def test_a_mobilenet_block_trains_as_pytorch_in_float64(rng) -> None:
    x, y = rng.standard_normal((8, 3, 10, 10)), rng.integers(0, 10, 8)
    assert_trains_as_pytorch(mobilenet_block, x, y)


def test_a_mobilenet_block_gives_torchs_losses_in_float32(rng) -> None:
    x, y = rng.standard_normal((16, 3, 12, 12)).astype(np.float32), rng.integers(0, 10, 16)
    reference, model = mobilenet_block(torch), mobilenet_block(npnn)
    model.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    losses = {lib.__name__: sgd_losses(lib, net, x, y) for lib, net in ((torch, reference), (npnn, model))}
    assert losses["npnn"][0] != losses["npnn"][2]  # the steps changed the model
    np.testing.assert_allclose(losses["npnn"], losses["torch"], rtol=1e-5)


@pytest.mark.parametrize("layer", [
    lambda m: m.nn.Conv2d(4, 4, 3), lambda m: m.nn.Conv2d(4, 4, 3, groups=4),
    lambda m: m.nn.ConvTranspose2d(4, 4, 3, groups=2), lambda m: m.nn.Conv1d(4, 4, 3),
])
def test_a_float64_input_to_float32_weights_is_refused_as_torch(layer) -> None:
    shape = (1, 4, 6) if isinstance(layer(npnn), npnn.nn.Conv1d) else (1, 4, 6, 6)
    with pytest.raises(RuntimeError):
        layer(torch)(torch.zeros(shape, dtype=torch.float64))
    with pytest.raises(RuntimeError, match=r"Input type \(Double\) and weight type \(Float\) should be"):
        layer(npnn)(npnn.zeros(shape, dtype=npnn.float64))
