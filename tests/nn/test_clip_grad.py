"""nn.utils without a reference: clipping semantics and parameter/vector conversion."""

from __future__ import annotations

import math

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    parameters_to_vector,
    vector_to_parameters,
)


def params_with_grads(*grads: list[float]) -> list[nn.Parameter]:
    params = []
    for grad in grads:
        param = nn.Parameter(np.zeros(len(grad)))
        param.grad = npnn.tensor(np.array(grad, dtype=np.float64))
        params.append(param)
    return params


@pytest.mark.parametrize("norm_type, total", [(2, 13.0), (1, 19.0), (math.inf, 12.0)])
def test_clip_grad_norm_returns_the_norm_before_clipping(norm_type: float, total: float) -> None:
    params = params_with_grads([3.0, -4.0], [12.0])
    result = clip_grad_norm_(params, max_norm=1.0, norm_type=norm_type)
    assert isinstance(result, npnn.Tensor)
    assert float(result.array) == pytest.approx(total, rel=1e-12)
    grads = np.concatenate([p.grad for p in params])
    norm = np.linalg.norm(grads, ord=norm_type)
    assert norm == pytest.approx(1.0, rel=1e-5)  # clipped to max_norm
    np.testing.assert_allclose(grads, np.array([3.0, -4.0, 12.0]) / total, rtol=1e-5)


def test_clip_grad_norm_leaves_small_gradients_alone_and_accepts_one_tensor() -> None:
    (param,) = params_with_grads([0.3, 0.4])
    assert float(clip_grad_norm_(param, max_norm=1.0).array) == pytest.approx(0.5)
    np.testing.assert_array_equal(param.grad, [0.3, 0.4])
    assert float(clip_grad_norm_([nn.Parameter(np.zeros(2))], 1.0).array) == 0.0  # no grads at all


def test_clip_grad_norm_error_if_nonfinite_mentions_the_way_out() -> None:
    params = params_with_grads([1.0], [math.nan])
    with pytest.raises(RuntimeError, match="error_if_nonfinite=False"):
        clip_grad_norm_(params, 1.0, norm_type=math.inf, error_if_nonfinite=True)


def test_clip_grad_value_clamps_in_place() -> None:
    params = params_with_grads([-3.0, 0.2, 5.0])
    grad = params[0].grad
    clip_grad_value_(params, 1.0)
    assert params[0].grad is grad
    np.testing.assert_array_equal(grad, [-1.0, 0.2, 1.0])


def test_parameters_to_vector_and_back() -> None:
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vector = parameters_to_vector(model.parameters())
    assert vector.shape == (11,)
    vector_to_parameters(vector * 2, model.parameters())
    np.testing.assert_allclose(parameters_to_vector(model.parameters()).array, 2 * vector.array)
    with pytest.raises(ValueError, match="12 elements"):
        vector_to_parameters(npnn.zeros(12), model.parameters())
