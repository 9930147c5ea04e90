"""The padding layers and the convolutions' padding options against PyTorch: ReflectionPad,
ReplicationPad, CircularPad (and the zero/constant pads), Conv1d/Conv2d with padding='same' or
'valid' and padding_mode 'reflect'/'replicate'/'circular': repr, values, gradients, errors, and a
small network trained three steps to PyTorch's losses."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
from torch_training import sgd_losses  # noqa: E402  (after the torch check)

PAD_LAYERS = [
    ("ReflectionPad1d", 2, (2, 3, 5)), ("ReflectionPad1d", (1, 3), (3, 5)),
    ("ReflectionPad2d", 1, (2, 3, 4, 5)), ("ReflectionPad2d", (0, 2, 3, 1), (3, 4, 5)),
    ("ReflectionPad3d", (1, 0, 2, 1, 1, 2), (1, 2, 3, 4, 5)),
    ("ReplicationPad1d", (4, 0), (2, 3, 3)), ("ReplicationPad2d", (1, 5, 0, 2), (2, 2, 3, 4)),
    ("ReplicationPad3d", 2, (2, 2, 3, 3)),
    ("CircularPad1d", 3, (2, 3, 4)), ("CircularPad2d", (1, 4, 2, 0), (2, 3, 4, 5)),
    ("CircularPad3d", (1, 1, 0, 2, 1, 0), (2, 2, 3, 4, 5)),
    ("ZeroPad1d", (1, 2), (2, 3, 4)), ("ZeroPad3d", 1, (2, 2, 2, 3)),
    ("ZeroPad2d", (-1, 2, 1, -1), (2, 3, 4)),
]


@pytest.mark.parametrize(("name", "padding", "shape"), PAD_LAYERS, ids=[f"{n}-{p}" for n, p, _ in PAD_LAYERS])
def test_pad_layer_as_torch(name: str, padding, shape: tuple[int, ...]) -> None:
    ours, theirs = getattr(nn, name)(padding), getattr(torch.nn, name)(padding)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal(shape)
    ours_in, theirs_in = npnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours_out, theirs_out = ours(ours_in), theirs(theirs_in)
    np.testing.assert_array_equal(ours_out.numpy(), theirs_out.detach().numpy())
    grad = np.random.default_rng(1).standard_normal(ours_out.shape)
    ours_out.backward(npnn.tensor(grad))
    theirs_out.backward(torch.tensor(grad))
    np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_constant_pad3d_repr_and_circular_rank_check_as_torch() -> None:
    padding = (1, 0, 2, 0, 0, 1)
    assert repr(nn.ConstantPad3d(padding, 0.5)) == repr(torch.nn.ConstantPad3d(padding, 0.5))
    for lib in (npnn, torch):
        with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
            lib.nn.CircularPad1d(1)(lib.ones(1, 2, 3, 4))


def _conv_pair(name: str, *args, **kwargs):
    """The same layer in float64 from both libraries, npnn's with torch's weights."""
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs).double()
    ours.load_state_dict({k: npnn.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


CONVS = [
    ("Conv2d", dict(kernel_size=3, padding="same")),
    ("Conv2d", dict(kernel_size=(4, 3), padding="same", dilation=(1, 2), bias=False)),
    ("Conv2d", dict(kernel_size=(2, 5), padding="valid")),
    ("Conv2d", dict(kernel_size=3, padding=1, padding_mode="reflect")),
    ("Conv2d", dict(kernel_size=3, padding=(2, 1), stride=2, padding_mode="replicate")),
    ("Conv2d", dict(kernel_size=(3, 4), padding="same", padding_mode="circular")),
    ("Conv2d", dict(kernel_size=2, padding="same", padding_mode="reflect", dilation=2)),
    ("Conv2d", dict(kernel_size=3, padding="valid", padding_mode="reflect")),
    ("Conv1d", dict(kernel_size=4, padding="same")),
    ("Conv1d", dict(kernel_size=3, padding=2, padding_mode="reflect", dilation=2)),
    ("Conv1d", dict(kernel_size=2, padding="same", padding_mode="circular")),
    ("Conv1d", dict(kernel_size=5, padding=(3,), stride=3, padding_mode="replicate")),
]


@pytest.mark.parametrize(("name", "options"), CONVS, ids=[f"{n}-{sorted(o.items())}" for n, o in CONVS])
def test_conv_padding_as_torch(name: str, options: dict) -> None:
    ours, theirs = _conv_pair(name, 3, 4, **options)
    assert repr(ours) == repr(theirs)
    shape = (3, 7, 8) if name == "Conv2d" else (3, 9)
    shapes = [(2, *shape)] + ([shape] if name == "Conv1d" else [])  # npnn's conv2d takes (N, C, H, W) only
    for x in (np.random.default_rng(0).standard_normal(s) for s in shapes):
        ours.zero_grad()
        theirs.zero_grad()
        ours_in, theirs_in = npnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ours_out, theirs_out = ours(ours_in), theirs(theirs_in)
        assert ours_out.shape == tuple(theirs_out.shape)
        np.testing.assert_allclose(ours_out.numpy(), theirs_out.detach().numpy(), rtol=1e-10, atol=1e-12)
        grad = np.random.default_rng(1).standard_normal(ours_out.shape)
        ours_out.backward(npnn.tensor(grad))
        theirs_out.backward(torch.tensor(grad))
        np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize(("build", "error", "fragment"), [
    (lambda lib: lib.nn.Conv2d(3, 4, 3, padding="same", stride=2), ValueError,
     "padding='same' is not supported for strided convolutions"),
    (lambda lib: lib.nn.Conv1d(3, 4, 3, padding="same", stride=(2,)), ValueError,
     "padding='same' is not supported for strided convolutions"),
    (lambda lib: lib.nn.Conv2d(3, 4, 3, padding="full"), ValueError, "Invalid padding string 'full'"),
    (lambda lib: lib.nn.Conv1d(3, 4, 3, padding_mode="mirror"), ValueError,
     "but got padding_mode='mirror'"),
    (lambda lib: lib.nn.functional.conv2d(lib.ones(1, 2, 5, 5), lib.ones(3, 2, 3, 3), padding="same",
                                          stride=(1, 2)), RuntimeError,
     "padding='same' is not supported for strided convolutions"),
    (lambda lib: lib.nn.functional.conv1d(lib.ones(1, 2, 5), lib.ones(3, 2, 3), padding="full"),
     RuntimeError, "Invalid padding string: 'full'"),
    (lambda lib: lib.nn.Conv2d(2, 2, 3, padding=4, padding_mode="reflect")(lib.ones(1, 2, 4, 4)),
     RuntimeError, "Padding size should be less than the corresponding input dimension"),
])
def test_padding_errors_as_torch(build, error: type[Exception], fragment: str) -> None:
    for lib in (npnn, torch):
        with pytest.raises(error, match=fragment.replace("(", r"\(").replace(")", r"\)")):
            build(lib)


def test_same_padding_puts_the_odd_row_after_as_torch() -> None:
    """A 2x2 kernel of ones: 'same' pads one row and column after (none before), so output
    (0, 0) sums x[0:2, 0:2], as PyTorch's."""
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    ours = F.conv2d(npnn.tensor(x), npnn.ones(1, 1, 2, 2, dtype=npnn.float64), padding="same").numpy()
    np.testing.assert_array_equal(ours[0, 0, 0, 0], x[0, 0, :2, :2].sum())
    np.testing.assert_array_equal(ours[0, 0, -1, -1], x[0, 0, -1, -1])
    theirs = torch.nn.functional.conv2d(torch.tensor(x), torch.ones(1, 1, 2, 2, dtype=torch.float64),
                                        padding="same")
    np.testing.assert_array_equal(ours, theirs.numpy())


def _style_net(lib):
    """A CycleGAN-style block: reflection padding, 'same' convolutions, instance norm."""
    return lib.nn.Sequential(
        lib.nn.ReflectionPad2d(2), lib.nn.Conv2d(1, 4, 5), lib.nn.InstanceNorm2d(4), lib.nn.ReLU(),
        lib.nn.Conv2d(4, 4, 4, padding="same", padding_mode="reflect"), lib.nn.ReLU(),
        lib.nn.Conv2d(4, 3, 3, padding="same", padding_mode="circular"), lib.nn.Tanh(),
        lib.nn.Flatten(), lib.nn.Linear(3 * 6 * 6, 3))


def test_a_reflect_and_same_padded_net_trains_to_torch_losses() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 1, 6, 6)), np.array([0, 2, 1, 2])
    theirs = _style_net(torch).double()
    ours = _style_net(npnn).double()
    ours.load_state_dict({k: npnn.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    losses = {lib.__name__: sgd_losses(lib, net, x, y) for lib, net in ((torch, theirs), (npnn, ours))}
    assert losses["torch"][-1] != losses["torch"][0]  # it trained
    np.testing.assert_allclose(losses["npnn"], losses["torch"], rtol=1e-10)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), value.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)
