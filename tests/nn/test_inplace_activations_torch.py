"""PyTorch's `inplace=True` (nn.ReLU(inplace=True), F.relu(x, inplace=True), x.relu_(), ...): the
input itself changes and is returned, gradients flow as in PyTorch, and a leaf that requires
grad is refused as PyTorch refuses it."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
import npnn.nn.functional as F
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

INPLACE = [("ReLU", ()), ("LeakyReLU", (0.2,)), ("ELU", (0.7,)), ("SiLU", ()), ("ReLU6", ()),
           ("Hardtanh", (-0.5, 0.25)), ("SELU", ()), ("CELU", (0.7,)), ("Mish", ()), ("Hardswish", ()),
           ("Hardsigmoid", ()), ("Threshold", (0.1, -2.0))]


@pytest.mark.parametrize("name, args", INPLACE)
def test_an_inplace_activation_in_a_network_trains_as_in_torch(name, args):
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(5, 4), getattr(torch.nn, name)(*args, inplace=True),
                                    torch.nn.Linear(4, 3))
    model = nn.Sequential(nn.Linear(5, 4), getattr(nn, name)(*args, inplace=True), nn.Linear(4, 3))
    model.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    assert repr(model) == repr(reference)
    x = np.random.default_rng(0).standard_normal((6, 5)).astype(np.float32)
    out, expected = model(npnn.tensor(x)), reference(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-6, atol=1e-6)
    out.sum().backward()
    expected.sum().backward()
    for (key, param), (_, theirs) in zip(model.named_parameters(), reference.named_parameters(), strict=True):
        np.testing.assert_allclose(param.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("function", ["relu", "leaky_relu", "elu", "silu"])
def test_functional_inplace_changes_and_returns_its_input(function):
    x = np.linspace(-2, 2, 9, dtype=np.float32)
    ours, theirs = npnn.tensor(x), torch.tensor(x)
    result = getattr(F, function)(ours, inplace=True)
    expected = getattr(torch.nn.functional, function)(theirs, inplace=True)
    assert result is ours and expected is theirs
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    if function != "silu":
        y = npnn.tensor(x)
        assert getattr(F, f"{function}_")(y) is y
        np.testing.assert_allclose(y.numpy(), theirs.numpy(), rtol=1e-6)


def test_tensor_inplace_methods_match_torch():
    x = np.linspace(-3, 3, 13, dtype=np.float32)
    for method, args in [("relu_", ()), ("clamp_", (-1.0, 0.5)), ("clip_", (None, 1.0)), ("sigmoid_", ()),
                         ("tanh_", ())]:
        ours, theirs = npnn.tensor(x), torch.tensor(x)
        assert getattr(ours, method)(*args) is ours
        getattr(theirs, method)(*args)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, err_msg=method)


def test_a_leaf_that_requires_grad_is_refused_in_place_as_in_torch():
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        torch.nn.functional.relu(torch.ones(3, requires_grad=True), inplace=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.relu(npnn.ones(3, requires_grad=True), inplace=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        npnn.ones(3, requires_grad=True).relu_()


@pytest.mark.parametrize("layer, shape", [(nn.Dropout, (200, 10)), (nn.Dropout2d, (50, 20, 3, 3))])
def test_inplace_dropout_changes_its_input_in_training_and_nothing_in_eval(layer, shape):
    assert repr(layer(0.3, inplace=True)) == repr(getattr(torch.nn, layer.__name__)(0.3, inplace=True))
    npnn.manual_seed(0)
    x = npnn.ones(*shape)
    out = layer(0.5, inplace=True)(x)
    assert out is x
    values = set(np.unique(x.numpy()).tolist())
    assert values == {0.0, 2.0}
    y = npnn.ones(*shape)
    assert layer(0.5, inplace=True).eval()(y) is y and (y.numpy() == 1).all()
