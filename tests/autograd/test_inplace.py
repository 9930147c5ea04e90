"""In-place updates: `x += y` and friends change the array in place and return the same tensor;
with grad on they are recorded in the graph (a leaf that needs grad is refused, as in PyTorch),
and views share memory as PyTorch's do. Autograd through them: test_inplace_autograd.py."""

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
def test_inplace_on_a_leaf_needing_grad_raises_and_on_a_graph_tensor_is_recorded(update) -> None:
    leaf = npnn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"leaf Variable that requires grad .* in-place"):
        update(leaf, 2.0)
    np.testing.assert_array_equal(leaf.array, [1.0, 1.0, 1.0])  # unchanged
    hidden = leaf * 2
    array = hidden.array
    assert update(hidden, 2.0) is hidden and hidden.array is array  # the same tensor and memory
    hidden.sum().backward()
    expected = {"iadd": 2.0, "isub": 2.0, "imul": 4.0, "itruediv": 1.0}[update.__name__]
    np.testing.assert_allclose(leaf.grad.numpy(), [expected] * 3)


def test_inplace_update_with_a_value_needing_grad_is_recorded() -> None:
    plain, weight = npnn.zeros(3), npnn.ones(3, requires_grad=True)
    plain += weight * 3
    assert plain.requires_grad and plain.grad_fn is not None
    plain.sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy(), [3.0, 3.0, 3.0])
    with npnn.no_grad():
        other = npnn.zeros(3)
        other += weight  # no graph is being recorded: a plain update
    assert not other.requires_grad
    np.testing.assert_array_equal(other.array, [1.0, 1.0, 1.0])


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
