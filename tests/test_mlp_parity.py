"""A whole training loop, npnn against PyTorch CPU from identical weights on identical batches."""

import numpy as np
import pytest

import npnn
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

HIDDEN = [32, 16, 8]


def _npnn_mlp() -> nn.Sequential:
    layers, width = [], 20
    for size in HIDDEN:
        layers += [nn.Linear(width, size, dtype=np.float64), nn.ReLU()]
        width = size
    return nn.Sequential(*layers, nn.Linear(width, 5, dtype=np.float64), nn.LogSoftmax(dim=1))


def _torch_mlp() -> "torch.nn.Sequential":
    layers, width = [], 20
    for size in HIDDEN:
        layers += [torch.nn.Linear(width, size, dtype=torch.float64), torch.nn.ReLU()]
        width = size
    return torch.nn.Sequential(*layers, torch.nn.Linear(width, 5, dtype=torch.float64),
                               torch.nn.LogSoftmax(dim=1))


def test_three_hidden_layer_mlp_matches_pytorch_after_100_adam_steps():
    torch.manual_seed(0)
    reference = _torch_mlp()
    model = _npnn_mlp()
    assert list(model.state_dict()) == list(reference.state_dict())
    model.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})

    torch_optimizer = torch.optim.Adam(reference.parameters(), lr=3e-3)
    optimizer = npnn.optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(0)
    for _ in range(100):
        x = rng.standard_normal((16, 20))
        y = rng.integers(0, 5, 16)
        torch_optimizer.zero_grad()
        torch.nn.functional.nll_loss(reference(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        torch_optimizer.step()
        optimizer.zero_grad()
        nn.functional.nll_loss(model(npnn.tensor(x)), npnn.tensor(y)).backward()
        optimizer.step()

    for name, value in reference.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[name], value.numpy(), rtol=1e-8, atol=1e-10,
                                   err_msg=name)
