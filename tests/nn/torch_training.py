"""Train the same small network in npnn and PyTorch from identical weights; compare them after."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import npnn


def sgd_losses(lib: Any, net: Any, x: np.ndarray, y: np.ndarray, steps: int = 3) -> list[float]:
    """The cross-entropy losses of `steps` SGD-momentum steps (lr 0.1, momentum 0.9) of `net`,
    a model of `lib` (npnn or torch), on the batch (x, y)."""
    optimizer = lib.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(steps):
        loss = lib.nn.functional.cross_entropy(net(lib.tensor(x)), lib.tensor(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.item()))
    return losses


def assert_trains_as_pytorch(build: Callable[[Any], Any], x: np.ndarray, y: np.ndarray,
                             steps: int = 3, rtol: float = 1e-10) -> tuple[Any, Any]:
    """`build(lib)` in float64 for both libraries, torch's weights copied into npnn's, `steps`
    SGD-momentum steps of cross-entropy on (x, y) each, then every state_dict entry compared.
    Returns the trained (npnn model, torch model)."""
    reference, model = build(torch).double(), build(npnn).double()
    model.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    for lib, net in ((torch, reference), (npnn, model)):
        sgd_losses(lib, net, x, y, steps)
    for name, value in reference.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[name], value.numpy(), rtol=rtol, atol=1e-12,
                                   err_msg=name)
    return model, reference
