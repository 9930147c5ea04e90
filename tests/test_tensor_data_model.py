"""PyTorch's Tensor data model: `.grad` and `state_dict()` values are Tensors, `.data` is a
Tensor that shares memory and records no graph; each checked against PyTorch CPU."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU is the reference for the data model")


def _pair(values: list[float]) -> tuple[npnn.Tensor, torch.Tensor]:
    return (npnn.tensor(values, requires_grad=True),
            torch.tensor(values, dtype=torch.float32, requires_grad=True))


def test_grad_is_a_tensor_with_the_usual_methods() -> None:
    for lib, w in zip((npnn, torch), _pair([1.0, -2.0, 3.0]), strict=True):
        (w * w).sum().backward()
        assert isinstance(w.grad, lib.Tensor) and not w.grad.requires_grad
        assert float(w.grad.norm()) == pytest.approx(2 * np.sqrt(14), rel=1e-6)
        w.grad.zero_()
        assert w.grad.tolist() == [0.0, 0.0, 0.0]


def test_grad_accumulates_into_the_same_tensor_object() -> None:
    for w in _pair([1.0, 2.0]):
        (w * 3).sum().backward()
        first = w.grad
        (w * 3).sum().backward()
        assert w.grad is first and first.tolist() == [6.0, 6.0]


def test_assigning_a_grad_checks_type_shape_and_dtype_as_pytorch() -> None:
    ours, theirs = _pair([1.0, 2.0])
    cases = [(np.zeros(2, dtype=np.float32), np.zeros(2, dtype=np.float32), TypeError),
             (npnn.zeros(3), torch.zeros(3), RuntimeError),
             (npnn.zeros(2, dtype=npnn.float64), torch.zeros(2, dtype=torch.float64), RuntimeError)]
    for ours_value, theirs_value, error in cases:
        with pytest.raises(error):
            theirs.grad = theirs_value
        with pytest.raises(error):
            ours.grad = ours_value
    ours.grad = npnn.ones(2)
    assert ours.grad.tolist() == [1.0, 1.0]


def test_state_dict_values_are_tensors_sharing_memory_and_clone_keeps_a_snapshot() -> None:
    npnn.manual_seed(0)
    model = nn.Linear(3, 2)
    state = model.state_dict()
    assert all(isinstance(v, npnn.Tensor) and not v.requires_grad for v in state.values())
    snapshot = {k: v.clone() for k, v in state.items()}
    optimizer = npnn.optim.SGD(model.parameters(), lr=0.5)
    model(npnn.ones(1, 3)).sum().backward()
    optimizer.step()
    assert np.array_equal(state["weight"], model.weight.detach())  # shares memory: moved too
    assert not np.array_equal(snapshot["weight"], model.weight.detach())
    other = nn.Linear(3, 2)
    other.load_state_dict(snapshot)
    np.testing.assert_array_equal(other.bias.detach(), snapshot["bias"])


def test_data_is_a_tensor_view_that_records_no_graph() -> None:
    for lib, w in zip((npnn, torch), _pair([1.0, 2.0]), strict=True):
        data = w.data
        assert isinstance(data, lib.Tensor) and not data.requires_grad and data.grad_fn is None
        (w * w).sum().backward()
        w.data -= 0.25 * w.grad.data  # manual SGD as in old PyTorch tutorials, grad mode on
        assert w.tolist() == [0.5, 1.0] and w.requires_grad and w.is_leaf
        w.data.mul_(2)  # in place on .data reaches the tensor
        assert w.tolist() == [1.0, 2.0]


def test_assigning_data_replaces_the_values() -> None:
    for lib, w in zip((npnn, torch), _pair([1.0, 2.0]), strict=True):
        w.data = lib.tensor([5.0, 6.0, 7.0])
        assert w.tolist() == [5.0, 6.0, 7.0] and w.requires_grad


def test_outputs_data_in_the_classic_accuracy_idiom() -> None:
    npnn.manual_seed(0)
    outputs = nn.Linear(4, 3)(npnn.randn(5, 4))
    _, predicted = npnn.max(outputs.data, 1)
    assert predicted.tolist() == np.argmax(outputs.array, axis=1).tolist()


def test_array_is_the_raw_array_itself() -> None:
    t = npnn.tensor([1.0, 2.0])
    assert type(t.array) is np.ndarray and t.numpy() is t.array
