"""Every op in the table that has a PyTorch equivalent: forward values and gradients against
PyTorch CPU, in float64 (rtol 1e-10) and float32 (rtol 1e-5). Skips without PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from op_table import CASES, OpCase, ids

torch = pytest.importorskip(
    "torch", reason="PyTorch CPU not installed: pip install torch==2.13.0"
)

WITH_TORCH = [c for c in CASES if c.ref is not None]
TOLERANCES = {np.float64: {"rtol": 1e-10, "atol": 1e-12}, np.float32: {"rtol": 1e-5, "atol": 1e-6}}


def _torch_inputs(case: OpCase, dtype: type) -> list:
    inputs = []
    for array, arg in zip(case.arrays(), case.args, strict=True):
        data = array.astype(dtype) if array.dtype.kind == "f" else array
        inputs.append(torch.tensor(data, requires_grad=case.needs_grad(array, arg)))
    return inputs


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("case", WITH_TORCH, ids=ids(WITH_TORCH))
def test_matches_torch(case: OpCase, dtype: type) -> None:
    tolerance = TOLERANCES[dtype]
    ours_in = case.npnn_inputs(dtype)
    theirs_in = _torch_inputs(case, dtype)
    ours = case.fn(*ours_in)
    theirs = case.torch_fn()(*theirs_in)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == theirs.detach().numpy().dtype
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), **tolerance)

    grad_output = np.random.default_rng(1).standard_normal(ours.shape).astype(dtype)
    ours.backward(grad_output)
    theirs.backward(torch.from_numpy(grad_output))
    checked = 0
    for index, (mine, reference) in enumerate(zip(ours_in, theirs_in, strict=True)):
        if not reference.requires_grad:
            continue
        assert mine.grad is not None, f"input {index} got no gradient"
        assert mine.grad.dtype == dtype
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), **tolerance,
                                   err_msg=f"gradient of input {index}")
        checked += 1
    assert checked, f"{case.name}: no input needs a gradient, nothing compared"
