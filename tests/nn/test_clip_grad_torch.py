"""nn.utils.clip_grad_norm_ / clip_grad_value_ against torch.nn.utils."""

from __future__ import annotations

import math

import numpy as np
import pytest

import npnn
from npnn.nn.utils import clip_grad_norm_, clip_grad_value_

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

SHAPES = [(3, 4), (4,), (2, 2, 2)]


def make_params(dtype, rng, scale=1.0, with_grad_none=True):
    """The same gradients on npnn and torch parameters; the last parameter has no gradient."""
    grads = [scale * rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
    ours, theirs = [], []
    for grad in grads:
        ours.append(npnn.nn.Parameter(np.zeros(grad.shape, dtype=dtype)))
        ours[-1].grad = npnn.tensor(grad.copy())
        theirs.append(torch.zeros(grad.shape, dtype=getattr(torch, str(np.dtype(dtype))), requires_grad=True))
        theirs[-1].grad = torch.from_numpy(grad.copy())
    if with_grad_none:
        ours.append(npnn.nn.Parameter(np.zeros(3, dtype=dtype)))
        theirs.append(torch.zeros(3, dtype=theirs[0].dtype, requires_grad=True))
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2, 1, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6], ids=["clips", "no-clip"])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype, rng, close) -> None:
    ours, theirs = make_params(dtype, rng)
    norm_type = float(norm_type)
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    close(total.data, expected.numpy(), dtype, "total norm")
    for mine, reference in zip(ours, theirs, strict=True):
        if reference.grad is None:
            assert mine.grad is None
        else:
            close(mine.grad, reference.grad.numpy(), dtype, "clipped gradient")


@pytest.mark.parametrize("norm_type", [2.0, math.inf])
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_error_if_nonfinite(norm_type, bad, rng) -> None:
    ours, theirs = make_params(np.float64, rng)
    ours[1].grad[0] = bad
    theirs[1].grad[0] = bad
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ours, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    with np.errstate(invalid="ignore"):  # inf · 0 while scaling, as in torch
        total = clip_grad_norm_(ours, 1.0, norm_type=norm_type)  # without the flag: no error
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type=norm_type)
    assert not math.isfinite(float(total.data)) and not math.isfinite(float(expected))


@pytest.mark.parametrize("clip_value", [0.1, 0.7, 10.0])
def test_clip_grad_value_matches_torch(clip_value, dtype, rng, close) -> None:
    ours, theirs = make_params(dtype, rng, scale=2.0)
    assert clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for mine, reference in zip(ours[:-1], theirs[:-1], strict=True):
        close(mine.grad, reference.grad.numpy(), dtype, "clipped gradient")


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_norm_is_computed_in_the_gradient_dtype_as_torch(norm_type) -> None:
    """float32 gradients whose squares overflow float32: torch's norm is inf, not a float64 value."""
    grad = np.array([3e19, -4e19, 1.0], dtype=np.float32)
    ours = npnn.nn.Parameter(np.zeros(3, dtype=np.float32))
    ours.grad = npnn.tensor(grad.copy())
    theirs = torch.zeros(3, requires_grad=True)
    theirs.grad = torch.from_numpy(grad.copy())
    with np.errstate(over="ignore", invalid="ignore"):
        total = clip_grad_norm_([ours], 1.0, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_([theirs], 1.0, norm_type=norm_type)
    assert total.dtype == np.float32
    np.testing.assert_allclose(total.data, expected.numpy(), rtol=1e-6)
