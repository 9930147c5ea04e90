"""Shared fixtures for the nn tests: dtype tolerances and a forward/backward comparison with PyTorch.

torch is imported only inside the comparison, so the pure tests run without it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

import npnn

RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}


def assert_close(actual: Any, expected: Any, dtype: Any, what: str = "") -> None:
    """Equal shape and dtype, values to the dtype's rtol (atol scaled by the largest value)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} vs {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} vs {expected.dtype}"
    rtol = RTOL[np.dtype(dtype)]
    scale = max(1.0, float(np.abs(expected).max())) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


@pytest.fixture(autouse=True)
def _seed() -> None:
    """Every test starts from the same global RNG state in npnn (and torch, when loaded)."""
    npnn.manual_seed(0)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(0)


@pytest.fixture(params=["float64", "float32"])
def dtype(request: pytest.FixtureRequest) -> np.dtype:
    return np.dtype(request.param)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def _compare_with_torch(np_module: npnn.nn.Module, torch_module: Any, inputs: Sequence[np.ndarray],
                        dtype: np.dtype, grad_inputs: Sequence[int] = (0,),
                        copy_weights: bool = True) -> tuple[Any, Any]:
    """Run both modules on the same inputs and upstream gradient; compare outputs and gradients.

    The torch module's state_dict is first loaded into the npnn module, so both hold identical
    weights. Returns (npnn output, torch output) for further checks.
    """
    import torch

    if copy_weights:
        np_module.load_state_dict({k: v.detach().numpy() for k, v in torch_module.state_dict().items()})
    np_inputs = [npnn.tensor(x.copy(), requires_grad=i in grad_inputs) for i, x in enumerate(inputs)]
    torch_inputs = [torch.tensor(x.copy(), requires_grad=i in grad_inputs) for i, x in enumerate(inputs)]
    out = np_module(*np_inputs)
    expected = torch_module(*torch_inputs)
    assert_close(out.data, expected.detach().numpy(), dtype, "forward")

    upstream = np.random.default_rng(7).standard_normal(expected.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream.copy()))
    for i in grad_inputs:
        assert_close(np_inputs[i].grad, torch_inputs[i].grad.numpy(), dtype, f"grad of input {i}")
    torch_params = dict(torch_module.named_parameters())
    np_params = dict(np_module.named_parameters())
    assert np_params.keys() == torch_params.keys()
    for name, param in np_params.items():
        assert_close(param.grad, torch_params[name].grad.numpy(), dtype, f"grad of {name}")
    return out, expected


@pytest.fixture
def compare_with_torch() -> Callable[..., tuple[Any, Any]]:
    return _compare_with_torch


@pytest.fixture
def close() -> Callable[..., None]:
    return assert_close
