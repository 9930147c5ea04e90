"""A tiny MLP trained the same way in npnn and torch, for optimizer parity tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import npnn

IN, HIDDEN, OUT, BATCH = 4, 8, 3, 16


def initial_state() -> dict[str, np.ndarray]:
    """Fixed float32 weights and biases: {"0.weight", "0.bias", "2.weight", "2.bias"}."""
    rng = np.random.default_rng(1)
    shapes = {"0.weight": (HIDDEN, IN), "0.bias": (HIDDEN,), "2.weight": (OUT, HIDDEN),
              "2.bias": (OUT,)}
    return {name: (0.5 * rng.standard_normal(shape)).astype(np.float32)
            for name, shape in shapes.items()}


def batch(t: int) -> tuple[np.ndarray, np.ndarray]:
    """The inputs and regression targets of step t."""
    rng = np.random.default_rng(100 + t)
    return (rng.standard_normal((BATCH, IN)).astype(np.float32),
            rng.standard_normal((BATCH, OUT)).astype(np.float32))


def npnn_model() -> Any:
    model = npnn.nn.Sequential(npnn.nn.Linear(IN, HIDDEN), npnn.nn.Tanh(), npnn.nn.Linear(HIDDEN, OUT))
    model.load_state_dict({k: npnn.tensor(v) for k, v in initial_state().items()})
    return model


def torch_model(torch: Any) -> Any:
    model = torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), torch.nn.Tanh(),
                                torch.nn.Linear(HIDDEN, OUT))
    model.load_state_dict({k: torch.from_numpy(v) for k, v in initial_state().items()})
    return model


def train(lib: Any, model: Any, optimizer: Any, start: int, stop: int,
          after_step: Callable[[], None] | None = None) -> list[np.ndarray]:
    """Steps start..stop-1 of MSE regression (lib: npnn or torch); the flat parameters after each."""
    history = []
    loss_fn = lib.nn.MSELoss()
    to_tensor = npnn.tensor if lib is npnn else lib.from_numpy
    for t in range(start, stop):
        x, y = (to_tensor(a) for a in batch(t))
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
        if after_step is not None:
            after_step()
        history.append(np.concatenate([_numpy(p).ravel() for p in model.parameters()]))
    return history


def _numpy(param: Any) -> np.ndarray:
    return param.detach().numpy() if hasattr(param, "detach") else param.numpy()
