"""What the optimizer-vs-PyTorch test files share: case ids, a model with its optimizer from
either library, and the 200-step float64 trajectory on optim_cases' problem."""

from __future__ import annotations

from typing import Any

import numpy as np
from optim_cases import gradient, initial_values
from tiny_model import npnn_model, torch_model

import npnn


def case_ids(cases: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in cases]


def npnn_run(name: str, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    model = npnn_model()
    return model, getattr(npnn.optim, name)(model.parameters(), **kwargs)


def torch_run(torch: Any, name: str, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    model = torch_model(torch)
    return model, getattr(torch.optim, name)(model.parameters(), foreach=False, **kwargs)


def float64_trajectory(lib: Any, name: str, kwargs: dict[str, Any]) -> np.ndarray:
    """The parameters after each of 200 steps of `lib`'s optimizer `name` on known gradients."""
    if lib is npnn:
        params = [npnn.nn.Parameter(x) for x in initial_values(np.float64)]
        read, to_grad = (lambda p: p.numpy()), npnn.tensor
    else:
        params = [lib.nn.Parameter(lib.from_numpy(x)) for x in initial_values(np.float64)]
        read, to_grad = (lambda p: p.detach().numpy()), lib.from_numpy
    optimizer = getattr(lib.optim, name)(params, **kwargs)
    history = []
    for t in range(200):
        for p in params:
            p.grad = to_grad(gradient(read(p), t))
        optimizer.step()
        history.append(np.concatenate([read(p).ravel() for p in params]))
    return np.stack(history)
