"""The autoencoder / GAN / U-Net layers against PyTorch CPU: ConvTranspose2d, Upsample,
GroupNorm, InstanceNorm2d, Conv1d, MaxPool1d, AvgPool1d. Each is compared in forward values and
gradients from identical weights, and in what a user sees of it: repr, parameter shapes,
state_dict keys, the default initialization's bound and the errors of common misuse."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
from torch_training import assert_trains_as_pytorch  # noqa: E402  (after the torch check)


def torch_dtype(dtype: np.dtype) -> torch.dtype:
    return {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}[dtype]


# (layer name, constructor args, kwargs, input shape); the same call builds both libraries' layers
LAYERS = [
    ("ConvTranspose2d", (4, 3, 3), {}, (2, 4, 5, 6)),
    ("ConvTranspose2d", (4, 3, 3), {"stride": 2, "padding": 1, "output_padding": 1}, (2, 4, 5, 5)),
    ("ConvTranspose2d", (6, 2, 4), {"stride": 2, "padding": 1, "bias": False}, (3, 6, 7, 7)),
    ("ConvTranspose2d", (2, 3, (3, 2)), {"stride": (1, 2), "dilation": 2, "padding": (2, 1)}, (1, 2, 4, 5)),
    ("ConvTranspose2d", (3, 2, 3), {"stride": 2}, (3, 5, 4)),  # unbatched
    ("Upsample", (), {"scale_factor": 2}, (2, 3, 4, 5)),
    ("Upsample", (), {"scale_factor": 1.5, "mode": "bilinear"}, (2, 3, 4, 5)),
    ("Upsample", ((9, 7),), {"mode": "bilinear", "align_corners": True}, (2, 3, 4, 5)),
    ("UpsamplingNearest2d", (), {"scale_factor": 3}, (1, 2, 3, 3)),
    ("Upsample", (), {"scale_factor": 2, "mode": "linear"}, (2, 3, 7)),
    ("UpsamplingBilinear2d", (), {"size": 6}, (1, 2, 3, 4)),
    ("GroupNorm", (2, 6), {}, (3, 6, 4, 4)),
    ("GroupNorm", (3, 3), {"affine": False, "eps": 1e-3}, (2, 3, 5)),
    ("InstanceNorm2d", (3,), {}, (2, 3, 4, 5)),
    ("InstanceNorm2d", (3,), {"affine": True}, (2, 3, 4, 5)),
    ("InstanceNorm2d", (3,), {"affine": True}, (3, 4, 5)),  # unbatched
    ("Conv1d", (3, 4, 3), {}, (2, 3, 10)),
    ("Conv1d", (3, 4, 5), {"stride": 2, "padding": 2, "dilation": 2, "bias": False}, (2, 3, 11)),
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1}, (2, 3, 10)),
    ("MaxPool1d", (2,), {}, (3, 9)),
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, (2, 3, 10)),
    ("AvgPool1d", (2,), {"ceil_mode": True}, (2, 3, 9)),
]
HAS_DTYPE = {"ConvTranspose2d", "GroupNorm", "InstanceNorm2d", "Conv1d"}


def _build(lib, name, args, kwargs, dtype):
    extra = {"dtype": torch_dtype(dtype) if lib is torch else dtype} if name in HAS_DTYPE else {}
    return getattr(lib.nn, name)(*args, **kwargs, **extra)


@pytest.mark.parametrize("name, args, kwargs, shape", LAYERS,
                         ids=[f"{n}-{i}" for i, (n, *_) in enumerate(LAYERS)])
def test_layer_matches_torch(name, args, kwargs, shape, dtype, rng, compare_with_torch) -> None:
    reference, layer = _build(torch, name, args, kwargs, dtype), _build(npnn, name, args, kwargs, dtype)
    assert repr(layer) == repr(reference)
    assert list(layer.state_dict()) == list(reference.state_dict())
    for key, value in reference.state_dict().items():
        assert layer.state_dict()[key].shape == tuple(value.shape), key
    x = rng.standard_normal(shape).astype(dtype)
    if name == "MaxPool1d":  # distinct values: no ties for the maximum
        x = (rng.permutation(x.size) * 0.1).reshape(shape).astype(dtype)
    compare_with_torch(layer, reference, [x], dtype)


def test_conv_transpose2d_default_init_has_torchs_bound() -> None:
    """kaiming_uniform(a=√5) over fan_in = weight.shape[1]·kH·kW (C_out·k·k, torch's rule)."""
    layer = nn.ConvTranspose2d(8, 64, 4)
    bound = 1 / np.sqrt(64 * 4 * 4)
    for param in (layer.weight, layer.bias):
        values = param.numpy()
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.9 * bound  # spread over the whole interval, not a narrower one
    assert layer.weight.shape == tuple(torch.nn.ConvTranspose2d(8, 64, 4).weight.shape)


def test_conv1d_default_init_has_torchs_bound() -> None:
    layer = nn.Conv1d(5, 40, 3)
    bound = 1 / np.sqrt(5 * 3)
    assert bound * 0.9 < np.abs(layer.weight.numpy()).max() <= bound


@pytest.mark.parametrize("output_size", [(9, 9), (10, 10), [2, 3, 10, 9]])
def test_conv_transpose2d_output_size_picks_output_padding_as_torch(output_size) -> None:
    reference = torch.nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1).double()
    layer = nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, dtype=np.float64)
    layer.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 5))
    expected = reference(torch.tensor(x), output_size=output_size).detach().numpy()
    np.testing.assert_allclose(layer(npnn.tensor(x), output_size=output_size).numpy(), expected, rtol=1e-12)


def _messages(call_npnn, call_torch) -> tuple[BaseException, BaseException]:
    with pytest.raises(Exception) as ours:
        call_npnn()
    with pytest.raises(Exception) as theirs:
        call_torch()
    return ours.value, theirs.value


MISUSE = [
    ("output_size out of range", lambda lib: lib.nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1)(
        lib.zeros(1, 4, 5, 5), output_size=(12, 12))),
    ("output_padding too large", lambda lib: lib.nn.functional.conv_transpose2d(
        lib.zeros(1, 4, 5, 5), lib.zeros(4, 3, 3, 3), output_padding=1)),
    ("conv_transpose2d channels", lambda lib: lib.nn.functional.conv_transpose2d(
        lib.zeros(1, 5, 5, 5), lib.zeros(4, 3, 3, 3))),
    ("conv_transpose2d output too small", lambda lib: lib.nn.functional.conv_transpose2d(
        lib.zeros(1, 4, 1, 1), lib.zeros(4, 3, 3, 3), padding=3)),
    ("padding_mode", lambda lib: lib.nn.ConvTranspose2d(4, 3, 3, padding_mode="reflect")),
    ("groups do not divide", lambda lib: lib.nn.GroupNorm(3, 4)),
    ("group_norm channels", lambda lib: lib.nn.functional.group_norm(lib.zeros(2, 4, 3), 3)),
    ("interpolate without size", lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 2, 2))),
    ("interpolate with both", lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 2, 2), size=3,
                                                                       scale_factor=2)),
    ("align_corners with nearest", lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 2, 2), size=3,
                                                                            align_corners=True)),
    ("linear 4-D", lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 2, 2), size=3, mode="linear")),
    ("bilinear 3-D", lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 2), size=3, mode="bilinear")),
    ("interpolate to size 0", lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 2, 2),
                                                                       scale_factor=0.2)),
    ("instance norm of one pixel", lambda lib: lib.nn.InstanceNorm2d(3)(lib.zeros(2, 3, 1, 1))),
    ("instance norm of 2-D input", lambda lib: lib.nn.InstanceNorm2d(3)(lib.zeros(2, 3))),
    ("conv1d channels", lambda lib: lib.nn.functional.conv1d(lib.zeros(1, 3, 5), lib.zeros(4, 2, 3))),
    ("group_norm weight size", lambda lib: lib.nn.functional.group_norm(lib.zeros(2, 6, 3), 3,
                                                                        weight=lib.ones(4))),
    ("group_norm bias size", lambda lib: lib.nn.functional.group_norm(lib.zeros(2, 6, 3), 3,
                                                                      bias=lib.ones(4))),
    ("group_norm channels not divisible", lambda lib: lib.nn.functional.group_norm(lib.zeros(2, 6, 3), 4)),
    ("conv_transpose2d bias size", lambda lib: lib.nn.functional.conv_transpose2d(
        lib.zeros(1, 4, 5, 5), lib.zeros(4, 3, 3, 3), bias=lib.zeros(2))),
    ("conv_transpose2d 2-D input", lambda lib: lib.nn.functional.conv_transpose2d(
        lib.zeros(4, 5), lib.zeros(4, 3, 3, 3))),
    ("conv_transpose2d 5-D input", lambda lib: lib.nn.functional.conv_transpose2d(
        lib.zeros(1, 1, 4, 5, 5), lib.zeros(4, 3, 3, 3))),
    ("output_size of 4 for unbatched input", lambda lib: lib.nn.ConvTranspose2d(3, 2, 3, stride=2)(
        lib.zeros(3, 5, 4), output_size=(1, 2, 12, 10))),
    ("output_size of 3 for batched input", lambda lib: lib.nn.ConvTranspose2d(3, 2, 3, stride=2)(
        lib.zeros(1, 3, 5, 4), output_size=(2, 12, 10))),
    ("recompute_scale_factor with size", lambda lib: lib.nn.functional.interpolate(
        lib.zeros(1, 1, 4, 4), size=3, recompute_scale_factor=True)),
]


@pytest.mark.parametrize("call", [c for _, c in MISUSE], ids=[n for n, _ in MISUSE])
def test_misuse_raises_torchs_error(call) -> None:
    ours, theirs = _messages(lambda: call(npnn), lambda: call(torch))
    assert type(ours) is type(theirs) or isinstance(ours, type(theirs)), (ours, theirs)
    assert str(theirs).split("(")[0].split(",")[0].split(":")[0][:30] in str(ours), (str(ours), str(theirs))


def test_misuse_messages_are_torchs_in_full() -> None:
    """The texts above copied whole (the parametrized test compares their starts)."""
    for name in ("group_norm weight size", "conv_transpose2d bias size", "conv_transpose2d 5-D input",
                 "output_size of 4 for unbatched input", "recompute_scale_factor with size"):
        call = dict(MISUSE)[name]
        ours, theirs = _messages(lambda call=call: call(npnn), lambda call=call: call(torch))
        assert str(ours) == str(theirs), name


def test_unbatched_output_size_with_channels_as_torch(rng) -> None:
    torch.manual_seed(0)
    reference = torch.nn.ConvTranspose2d(3, 2, 3, stride=2).double()
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, dtype=np.float64)
    layer.load_state_dict({k: npnn.tensor(v.detach().numpy()) for k, v in reference.state_dict().items()})
    x = rng.standard_normal((3, 5, 4))
    for output_size in ((2, 12, 10), (12, 9), (7, 11, 10)):  # (C, H, W) or (H, W); torch ignores C
        expected = reference(torch.tensor(x), output_size=output_size).detach().numpy()
        np.testing.assert_allclose(layer(npnn.tensor(x), output_size=output_size).numpy(), expected,
                                   rtol=1e-12, err_msg=str(output_size))


@pytest.mark.parametrize("kernel,stride,padding,dilation", [(2, 2, 0, 1), (3, 2, 1, 1), (3, 3, 0, 2),
                                                            (4, 3, 2, 1), (2, 1, 1, 1)])
def test_max_pool1d_ceil_mode_as_torch(rng, kernel, stride, padding, dilation) -> None:
    for length in range(max(3, dilation * (kernel - 1) + 1 - 2 * padding), 12):
        x = rng.standard_normal((2, 3, length))
        theirs_x, ours_x = torch.tensor(x, requires_grad=True), npnn.tensor(x, requires_grad=True)
        theirs = torch.nn.MaxPool1d(kernel, stride, padding, dilation, ceil_mode=True)(theirs_x)
        ours = nn.MaxPool1d(kernel, stride, padding, dilation, ceil_mode=True)(ours_x)
        np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy(), err_msg=f"length {length}")
        grad = rng.standard_normal(theirs.shape)
        theirs.backward(torch.tensor(grad)), ours.backward(npnn.tensor(grad))
        np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-12)
    unbatched = torch.nn.functional.max_pool1d(torch.tensor(x[0]), kernel, stride, padding, dilation, True)
    np.testing.assert_array_equal(
        npnn.nn.functional.max_pool1d(npnn.tensor(x[0]), kernel, stride, padding, dilation, True).numpy(),
        unbatched.numpy())


def test_instance_norm_running_stats_train_and_eval_as_torch(rng) -> None:
    reference = torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=0.3).double()
    layer = nn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=0.3, dtype=np.float64)
    for step in range(2):
        x = rng.standard_normal((4, 3, 5, 4)) * (step + 1) + step
        np.testing.assert_allclose(layer(npnn.tensor(x)).numpy(), reference(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-10, atol=1e-12)
    for key, value in reference.state_dict().items():
        np.testing.assert_allclose(layer.state_dict()[key].numpy(), value.numpy(), rtol=1e-12, err_msg=key)
    layer.eval(), reference.eval()
    x = rng.standard_normal((2, 3, 5, 4))
    np.testing.assert_allclose(layer(npnn.tensor(x)).numpy(), reference(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


def test_nearest_picks_torchs_pixels_for_many_sizes_and_factors() -> None:
    """floor(o · scale) in float32 (torch's rule): checked where float64 arithmetic would differ."""
    for size in range(1, 13):
        for factor in (0.3, 0.5, 0.75, 1.1, 4 / 3, 1.5, 1.7, 2.2, 2.5, 3.0, 10 / 3, 3.9):
            if int(size * factor) == 0:
                continue
            x = np.arange(size, dtype=np.float32).reshape(1, 1, 1, size)
            expected = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=(1.0, factor))
            ours = npnn.nn.functional.interpolate(npnn.tensor(x), scale_factor=(1.0, factor))
            np.testing.assert_array_equal(ours.numpy(), expected.numpy(), err_msg=f"size {size}, x{factor}")


def test_a_network_of_every_new_layer_trains_as_pytorch(rng) -> None:
    """Three SGD steps of a small encoder-decoder classifier through all the new layers, float64:
    every parameter equal to PyTorch's after them (rtol 1e-10)."""
    def build(lib):
        nn = lib.nn
        return nn.Sequential(
            nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.GroupNorm(2, 4), nn.ReLU(),      # 12 -> 6
            nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1),           # 6 -> 12
            nn.InstanceNorm2d(3, affine=True), nn.Tanh(),
            nn.Upsample(scale_factor=0.75, mode="bilinear"), nn.UpsamplingNearest2d(scale_factor=1.5),
            nn.Flatten(2), nn.Conv1d(3, 2, 3, stride=2), nn.MaxPool1d(2), nn.AvgPool1d(2, 1),
            nn.Flatten(), nn.Linear(2 * 41, 10))

    x, y = rng.standard_normal((6, 1, 12, 12)), rng.integers(0, 10, 6)
    assert_trains_as_pytorch(build, x, y)
