"""In-place updates: `x += y` and friends change `data` in place and return the same tensor;
they are refused while grad is on for a tensor that needs it (npnn has no in-place autograd),
and views share memory as PyTorch's do."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import npnn

# (id, in-place operator, other operand, expected values starting from [1., 2., 4.])
UPDATES = [
    ("iadd_scalar", operator.iadd, 1.0, [2.0, 3.0, 5.0]),
    ("isub_tensor", operator.isub, npnn.tensor([1.0, 1.0, 1.0]), [0.0, 1.0, 3.0]),
    ("imul_broadcast_0d", operator.imul, npnn.tensor(2.0), [2.0, 4.0, 8.0]),
    ("itruediv_array", operator.itruediv, np.array([1.0, 2.0, 4.0], dtype=np.float32), [1.0, 1.0, 1.0]),
    ("iadd_float64_tensor_keeps_float32", operator.iadd, npnn.tensor([0.5, 0.5, 0.5], dtype=npnn.float64),
     [1.5, 2.5, 4.5]),
]


@pytest.mark.parametrize(("update", "other", "expected"), [u[1:] for u in UPDATES],
                         ids=[u[0] for u in UPDATES])
def test_inplace_operator_under_no_grad_updates_the_same_array(update, other, expected) -> None:
    param = npnn.nn.Parameter(np.array([1.0, 2.0, 4.0], dtype=np.float32))
    before, array = param, param.array
    with npnn.no_grad():
        param = update(param, other)
    assert param is before  # not rebound to a new tensor (an optimizer's reference stays valid)
    assert param.array is array and param.dtype == np.float32
    np.testing.assert_array_equal(array, expected)


def test_sgd_style_update_keeps_the_parameter_in_the_optimizer() -> None:
    model = npnn.nn.Linear(3, 2)
    weight = model.weight
    model(npnn.ones(4, 3)).sum().backward()
    expected = weight.array - 0.1 * weight.grad
    with npnn.no_grad():
        for p in model.parameters():
            p -= 0.1 * npnn.tensor(p.grad)
    assert model.weight is weight
    np.testing.assert_allclose(weight.array, expected)


@pytest.mark.parametrize("update", [operator.iadd, operator.isub, operator.imul, operator.itruediv],
                         ids=["iadd", "isub", "imul", "itruediv"])
def test_inplace_operator_on_a_tensor_needing_grad_raises_with_grad_on(update) -> None:
    leaf = npnn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        update(leaf, 2.0)
    hidden = leaf * 2
    with pytest.raises(RuntimeError, match="in-place"):
        update(hidden, 2.0)
    np.testing.assert_array_equal(hidden.array, [2.0, 2.0, 2.0])  # unchanged


def test_inplace_update_with_a_value_needing_grad_raises() -> None:
    plain, weight = npnn.zeros(3), npnn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="x = x \\+ y"):
        plain += weight
    with npnn.no_grad():
        plain += weight  # no graph is being recorded: fine
    np.testing.assert_array_equal(plain.array, [1.0, 1.0, 1.0])


def test_inplace_on_a_plain_tensor_works_with_grad_on() -> None:
    counts = npnn.zeros(3, dtype=npnn.int64)
    counts += 2
    counts *= 3
    assert counts.tolist() == [6, 6, 6] and counts.dtype == np.int64


def test_inplace_on_a_reduction_result_updates_it() -> None:
    total = npnn.ones(4).sum()  # its data may be a NumPy scalar, which cannot change in place
    total += 1.0
    total.add_(1.0).mul_(2.0).sub_(1.0).div_(5.0)
    assert float(total) == pytest.approx(((4 + 1 + 1) * 2 - 1) / 5)


@pytest.mark.parametrize("view", [
    lambda x: x.reshape(6),
    lambda x: x.view(3, 2),
    lambda x: x.permute(1, 0),
    lambda x: x.T,
    lambda x: x[1],
    lambda x: x[:, 1:],
    lambda x: x.unsqueeze(0).expand(2, 2, 3),
    lambda x: x.detach(),
], ids=["reshape", "view", "permute", "T", "index", "slice", "expand", "detach"])
def test_views_share_memory_as_in_pytorch(view) -> None:
    base = npnn.tensor(np.arange(6.0).reshape(2, 3))
    assert np.shares_memory(view(base).array, base.array)
