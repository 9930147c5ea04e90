"""The activations added for PyTorch users (ReLU6 ... PReLU) against PyTorch CPU: values and
gradients at random points and at the edges (0, the kinks and thresholds, large magnitudes),
reprs, `F.*(inplace=True)` (the modules' `inplace=True` is in test_inplace_activations_torch.py),
and PReLU's learnt slopes trained with SGD."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
import npnn.nn.functional as F
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
from torch_training import assert_trains_as_pytorch  # noqa: E402 (needs torch)

# (class name, args): npnn and torch modules are built from the same entry
ACTIVATIONS = [
    ("ReLU6", ()),
    ("Hardtanh", ()),
    ("Hardtanh", (-2.0, 0.5)),
    ("LogSigmoid", ()),
    ("Softmin", (1,)),
    ("Softmin", (-1,)),
    ("SELU", ()),
    ("CELU", ()),
    ("CELU", (0.5,)),
    ("Mish", ()),
    ("Hardswish", ()),
    ("Hardsigmoid", ()),
    ("Softsign", ()),
    ("Tanhshrink", ()),
    ("Threshold", (0.1, 20.0)),
    ("Threshold", (-1.0, -3.0)),
    ("GLU", ()),
    ("GLU", (1,)),
    ("PReLU", ()),
]
IDS = [f"{name}{args}" for name, args in ACTIVATIONS]
# the kinks and thresholds of the functions above, 0, and values where exp overflows or underflows
EDGES = [0.0, -1.0, 1.0, 6.0, -3.0, 3.0, -2.0, 0.5, 0.1, 20.0, -20.0, 50.0, -50.0, 1e4, -1e4, 90.0, -90.0]


def _inputs(rng, shape, dtype):
    x = rng.uniform(-8, 8, size=shape)
    x.flat[:len(EDGES)] = EDGES
    return x.astype(dtype)


@pytest.mark.parametrize("name, args", ACTIVATIONS, ids=IDS)
@pytest.mark.parametrize("shape", [(4, 6), (2, 6, 4)], ids=["2d", "3d"])
def test_activation_matches_torch_at_random_and_edge_points(name, args, shape, dtype, rng,
                                                            compare_with_torch) -> None:
    module, reference = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    if name == "PReLU":  # a slope that is not the default shows the weight is used
        reference.weight.data.fill_(0.3)
    module.to(dtype=dtype)
    if name == "Hardsigmoid" and dtype == np.float64:
        return _check_hardsigmoid_float64(_inputs(rng, shape, dtype))
    compare_with_torch(module, reference.to(getattr(torch, str(dtype))), [_inputs(rng, shape, dtype)], dtype)


def _check_hardsigmoid_float64(x: np.ndarray) -> None:
    """PyTorch's float64 Hardsigmoid gradient is 1/6 rounded to float32 (its kernel's constant is
    `1.0f / 6.0f`); npnn's is 1/6 in float64. Equal to torch's up to that constant, and exact."""
    ours, theirs = npnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = F.hardsigmoid(ours), torch.nn.functional.hardsigmoid(theirs)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-15, atol=1e-15)
    out.sum().backward()
    expected.sum().backward()
    torch_constant = float(np.float32(1) / np.float32(6))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy() / torch_constant / 6, rtol=1e-15)
    np.testing.assert_array_equal(ours.grad.numpy(), np.where(np.abs(x) < 3, 1 / 6, 0.0))


REPRS = [
    ("ReLU6", (), {}), ("ReLU6", (True,), {}), ("Hardtanh", (), {}), ("Hardtanh", (-2, 3, True), {}),
    ("LogSigmoid", (), {}), ("Softmin", (), {}), ("Softmin", (1,), {}), ("SELU", (), {}),
    ("SELU", (), {"inplace": True}), ("CELU", (), {}), ("CELU", (0.5, True), {}), ("Mish", (), {}),
    ("Mish", (True,), {}), ("Hardswish", (), {}), ("Hardswish", (True,), {}), ("Hardsigmoid", (), {}),
    ("Hardsigmoid", (True,), {}), ("Softsign", (), {}), ("Tanhshrink", (), {}),
    ("Threshold", (0.1, 20), {}), ("Threshold", (0.1, 20.0, True), {}), ("GLU", (), {}),
    ("GLU", (), {"dim": 1}), ("PReLU", (), {}), ("PReLU", (3, 0.1), {}),
]


@pytest.mark.parametrize("name, args, kwargs", REPRS, ids=[f"{n}{a}{k or ''}" for n, a, k in REPRS])
def test_repr_matches_torch(name, args, kwargs) -> None:
    assert repr(getattr(nn, name)(*args, **kwargs)) == repr(getattr(torch.nn, name)(*args, **kwargs))


@pytest.mark.parametrize("function, args", [("relu6", ()), ("hardtanh", (-1.5, 2.0)), ("selu", ()),
                                            ("celu", (2.0,)), ("mish", ()), ("hardswish", ()),
                                            ("hardsigmoid", ()), ("threshold", (0.5, 9.0))])
def test_functional_inplace_changes_and_returns_its_input(function, args):
    x = np.linspace(-7, 7, 29, dtype=np.float32)
    ours, theirs = npnn.tensor(x), torch.tensor(x)
    assert getattr(F, function)(ours, *args, inplace=True) is ours
    getattr(torch.nn.functional, function)(theirs, *args, inplace=True)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)
    if hasattr(torch.nn.functional, f"{function}_"):
        y = npnn.tensor(x)
        assert getattr(F, f"{function}_")(y, *args) is y
        np.testing.assert_allclose(y.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shape, channels", [((2, 3, 4, 4), 3), ((5, 3), 3), ((2, 3, 4, 4), 1), ((7,), 1)])
def test_prelu_per_channel_matches_torch(shape, channels, dtype, rng, compare_with_torch) -> None:
    module, reference = nn.PReLU(channels), torch.nn.PReLU(channels).to(getattr(torch, str(dtype)))
    reference.weight.data.copy_(torch.linspace(-0.5, 0.8, channels))
    module.to(dtype=dtype)
    assert list(module.state_dict()) == list(reference.state_dict()) == ["weight"]
    assert module.weight.shape == tuple(reference.weight.shape)
    compare_with_torch(module, reference, [_inputs(rng, shape, dtype)], dtype)


def test_prelu_slopes_train_with_sgd_as_in_torch() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 4)), rng.integers(0, 3, 8)

    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.PReLU(6, init=0.1), lib.nn.Linear(6, 5),
                                 lib.nn.PReLU(), lib.nn.Linear(5, 3))

    model, _ = assert_trains_as_pytorch(build, x, y, steps=4)
    assert not np.allclose(model.state_dict()["1.weight"].numpy(), 0.1)  # the slopes did move
    model[1].reset_parameters()
    np.testing.assert_array_equal(model.state_dict()["1.weight"].numpy(), np.full(6, 0.1, np.float64))


def test_errors_say_what_is_wrong_as_torch() -> None:
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 5"):
        F.glu(npnn.ones(2, 5), 1)
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size"):
        nn.PReLU(3)(npnn.ones(4, 2))
    with pytest.raises(ValueError, match="min_val"):
        nn.Hardtanh(1.0, -1.0)
