"""Dtype promotion of op inputs, as PyTorch: dimensioned tensors decide within a category
(bool < integer < float), a 0-d tensor or a Python number only when of a higher category."""

from __future__ import annotations

import numpy as np
import pytest

import npnn

F32, F64, I32, I64, B = np.float32, np.float64, np.int32, np.int64, np.bool_

# (id, first operand (dtype, shape), second operand, expected dtype of first + second)
CASES = [
    ("f32_dims_f64_0d", (F32, (3,)), (F64, ()), F32),
    ("f64_0d_f32_dims", (F64, ()), (F32, (3,)), F32),
    ("f64_dims_f32_0d", (F64, (3,)), (F32, ()), F64),
    ("f32_dims_f64_dims", (F32, (3,)), (F64, (3,)), F64),
    ("f32_0d_f64_0d", (F32, ()), (F64, ()), F64),
    ("i32_dims_i64_0d", (I32, (3,)), (I64, ()), I32),
    ("i64_dims_f32_0d", (I64, (3,)), (F32, ()), F32),
    ("i32_dims_f64_0d", (I32, (3,)), (F64, ()), F64),
    ("i64_dims_f32_dims", (I64, (2, 3)), (F32, (3,)), F32),
    ("bool_dims_f64_0d", (B, (3,)), (F64, ()), F64),
    ("bool_dims_i32_0d", (B, (3,)), (I32, ()), I32),
    ("same_dtype", (F32, (2, 3)), (F32, ()), F32),
]


def _npnn(spec):
    dtype, shape = spec
    return npnn.tensor(np.ones(shape, dtype=dtype))


@pytest.mark.parametrize(("a", "b", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_result_dtype(a, b, expected) -> None:
    assert (_npnn(a) + _npnn(b)).dtype == expected
    assert (_npnn(a) * _npnn(b)).dtype == expected


@pytest.mark.parametrize(("a", "b", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_result_dtype_matches_torch(a, b, expected) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch CPU not installed")

    def make(spec):
        return torch.from_numpy(np.ones(spec[1], dtype=spec[0]))

    assert (make(a) + make(b)).numpy().dtype == expected


def test_gradient_flows_back_through_the_downcast_in_the_leaf_dtype() -> None:
    x = npnn.ones(3, requires_grad=True)
    scale = npnn.tensor(2.0, dtype=npnn.float64, requires_grad=True)
    out = x * scale
    assert out.dtype == np.float32
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])
    assert x.grad.dtype == np.float32
    assert scale.grad == 3.0 and scale.grad.dtype == np.float64


def test_python_scalars_never_upcast() -> None:
    assert (npnn.ones(3) * 0.5).dtype == np.float32
    assert (npnn.ones(3, dtype=npnn.int32) + 2).dtype == np.int32
    assert (npnn.arange(3) * 0.5).dtype == np.float32
