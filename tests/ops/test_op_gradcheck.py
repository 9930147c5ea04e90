"""Every op in the table: float64 analytic gradients against central finite differences,
and float32 in -> float32 out and float32 gradients. Runs without PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from op_table import CASES, OpCase, ids

import npnn
from npnn.autograd import engine
from npnn.autograd.gradcheck import gradcheck

SMOOTH = [c for c in CASES if c.smooth]


@pytest.mark.parametrize("case", SMOOTH, ids=ids(SMOOTH))
def test_gradcheck_float64(case: OpCase) -> None:
    inputs = case.npnn_inputs(np.float64)
    out = case.fn(*inputs)
    assert out.dtype == np.float64
    if not any(t.requires_grad for t in inputs):
        pytest.fail(f"{case.name}: no input needs a gradient, nothing to check")
    assert gradcheck(case.fn, inputs)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_float32_stays_float32(case: OpCase, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = case.npnn_inputs(np.float32)
    out = case.fn(*inputs)
    assert out.dtype == np.float32, f"{case.name} returned {out.dtype} for float32 inputs"
    assert out.requires_grad
    # every backward must compute in float32 too, not only after the engine's final cast
    backward_dtypes = []
    unbroadcast = engine.unbroadcast

    def recording_unbroadcast(grad, shape, op_name):
        backward_dtypes.append((op_name, grad.dtype))
        return unbroadcast(grad, shape, op_name)

    monkeypatch.setattr(engine, "unbroadcast", recording_unbroadcast)
    out.backward(npnn.ones_like(out))
    assert backward_dtypes or out.grad_fn is None  # an identity op may return its input
    assert all(dtype == np.float32 for _, dtype in backward_dtypes), backward_dtypes
    for t in inputs:
        if t.requires_grad:
            assert t.grad is not None and t.grad.dtype == np.float32
            assert t.grad.shape == t.shape
