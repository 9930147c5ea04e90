"""Activation modules against PyTorch CPU: forward values, input gradients and repr."""

from __future__ import annotations

import pytest

from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

# (class name, args, kwargs): npnn and torch modules are built from the same entry
ACTIVATIONS = [
    ("ReLU", (), {}),
    ("LeakyReLU", (), {}),
    ("LeakyReLU", (0.2,), {}),
    ("ELU", (), {}),
    ("ELU", (0.7,), {}),
    ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}),
    ("Sigmoid", (), {}),
    ("Tanh", (), {}),
    ("Softmax", (), {"dim": 1}),
    ("Softmax", (), {"dim": -1}),
    ("Softmax", (), {"dim": 0}),
    ("LogSoftmax", (), {"dim": 1}),
    ("LogSoftmax", (), {"dim": -1}),
    ("LogSoftmax", (), {"dim": 0}),
    ("SiLU", (), {}),
    ("Softplus", (), {}),
    ("Softplus", (2.0, 3.0), {}),
]
IDS = [f"{name}{args}{kwargs or ''}" for name, args, kwargs in ACTIVATIONS]


@pytest.mark.parametrize("name, args, kwargs", ACTIVATIONS, ids=IDS)
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4)], ids=["2d", "3d"])
def test_activation_matches_torch(name, args, kwargs, shape, dtype, rng, compare_with_torch) -> None:
    x = rng.uniform(-3, 3, size=shape).astype(dtype)
    x[abs(x) < 1e-3] = 0.5  # keep away from the kink of ReLU-like functions
    module = getattr(nn, name)(*args, **kwargs)
    reference = getattr(torch.nn, name)(*args, **kwargs)
    compare_with_torch(module, reference, [x], dtype)


@pytest.mark.parametrize("name, args, kwargs", ACTIVATIONS, ids=IDS)
def test_activation_repr_matches_torch(name, args, kwargs) -> None:
    reference = repr(getattr(torch.nn, name)(*args, **kwargs)).replace(", inplace=False", "")
    assert repr(getattr(nn, name)(*args, **kwargs)) == reference
