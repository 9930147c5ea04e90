"""The backward engine: deep graphs, accumulation, freeing, retain_graph, grad mode, errors."""

import gc
import re
import weakref

import numpy as np
import pytest

import npnn
from npnn.autograd import Function
from npnn.autograd.engine import topological_order


def test_chain_of_100000_ops_backprops_without_recursion_error():
    x = npnn.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad == pytest.approx(1.0)


def test_tensor_used_several_times_accumulates_gradient():
    x = npnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x + x * 3.0 + x).sum()  # d/dx = 2x + 4
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * np.array([1.0, 2.0, 3.0]) + 4)


def test_leaf_grads_accumulate_across_backward_calls():
    x = npnn.tensor([1.0, -2.0], requires_grad=True)
    (x * 2.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [5.0, 5.0])


def test_only_leaves_get_grad():
    x = npnn.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 2.0
    (hidden * hidden).sum().backward()
    assert hidden.grad is None
    np.testing.assert_allclose(x.grad, 8 * np.array([1.0, 2.0]))


def test_diamond_graph_visits_each_node_once():
    x = npnn.tensor(2.0, requires_grad=True)
    a = x * 3.0
    b = a + a
    c = b * a  # 2a·a = 2·9x² -> d/dx = 36x
    order = topological_order(c.grad_fn)
    assert len(order) == len({id(node) for node in order}) == 3
    c.backward()
    assert x.grad == pytest.approx(72.0)


def test_broadcast_gradient_is_summed_back_to_input_shape():
    a = npnn.ones(3, 1, requires_grad=True)
    b = npnn.ones(4, requires_grad=True)
    (a + b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_allclose(a.grad, np.full((3, 1), 4.0))
    np.testing.assert_allclose(b.grad, np.full(4, 3.0))


def test_graph_is_freed_after_backward():
    model = npnn.nn.Sequential(npnn.nn.Linear(4, 8), npnn.nn.ReLU(), npnn.nn.Linear(8, 2))
    x = npnn.randn(5, 4)
    hidden = model[0](x)
    hidden_ref = weakref.ref(hidden)
    loss = model[2](model[1](hidden)).sum()
    node_ref = weakref.ref(loss.grad_fn)
    del hidden
    assert hidden_ref() is not None  # the graph keeps intermediate tensors alive until backward
    loss.backward()
    gc.collect()
    assert hidden_ref() is None
    assert node_ref() is not None and node_ref().inputs is None  # the root node holds nothing


def test_no_tensor_from_a_finished_step_stays_alive():
    model = npnn.nn.Sequential(npnn.nn.Linear(3, 5), npnn.nn.Tanh(), npnn.nn.Linear(5, 1))
    keep = {id(p) for p in model.parameters()}
    gc.collect()
    before = {id(o) for o in gc.get_objects() if issubclass(type(o), npnn.Tensor)}
    for _ in range(3):
        loss = npnn.nn.functional.mse_loss(model(npnn.randn(4, 3)), npnn.zeros(4, 1))
        loss.backward()
    gc.collect()
    keep |= {id(p.grad) for p in model.parameters()}  # the gradients are Tensors, as PyTorch's
    # the loss is still referenced, as in a training loop, yet nothing behind it survives
    alive = [o for o in gc.get_objects()
             if issubclass(type(o), npnn.Tensor) and id(o) not in before and id(o) not in keep]
    assert alive == [loss]


def test_second_backward_on_freed_graph_raises_clear_error():
    x = npnn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = npnn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 4 * np.array([1.0, 2.0]))


def test_no_grad_records_no_graph_and_restores_mode():
    x = npnn.tensor([1.0], requires_grad=True)
    with npnn.no_grad():
        y = x * 2.0
        assert not npnn.is_grad_enabled()
    assert npnn.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad


def test_no_grad_as_decorator_and_nested_enable_grad():
    x = npnn.tensor([1.0], requires_grad=True)

    @npnn.no_grad()
    def double(t):
        with npnn.enable_grad():
            inner = t * 1.0
        return t * 2.0, inner

    outer, inner = double(x)
    assert not outer.requires_grad and inner.requires_grad


def test_outputs_record_graph_only_when_an_input_requires_grad():
    a, b = npnn.ones(2), npnn.ones(2)
    assert (a + b).grad_fn is None
    b.requires_grad = True
    assert (a + b).grad_fn is not None


def test_backward_on_non_scalar_without_gradient_explains_what_to_pass():
    x = npnn.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"pass gradient=.*\(2, 3\)"):
        (x * 2.0).backward()


def test_backward_with_explicit_gradient_is_a_vector_jacobian_product():
    x = npnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).backward(npnn.tensor([1.0, 0.0, -1.0]))
    np.testing.assert_allclose(x.grad, [2.0, 0.0, -6.0])


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        npnn.ones(2).sum().backward()


def test_wrong_gradient_shape_from_a_function_is_reported_with_both_shapes():
    class Broken(Function):
        def forward(self, a):
            return a * 2

        def backward(self, grad_output):
            return np.ones((5, 7))

    x = npnn.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Broken.*\(5, 7\).*\(2, 3\)"):
        Broken.apply(x).sum().backward()


def test_detach_cuts_the_graph():
    x = npnn.tensor([3.0], requires_grad=True)
    y = (x * x).detach() * x
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [9.0])


class _TooFewGrads(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, grad_output):
        return (grad_output,)  # one gradient for two inputs: a bug the engine must report


class _TooManyGrads(Function):
    def forward(self, a):
        return a * 2

    def backward(self, grad_output):
        return grad_output * 2, None


@pytest.mark.parametrize(("function", "inputs", "counts"), [
    (_TooFewGrads, 2, "1 gradients for 2 inputs"),
    (_TooManyGrads, 1, "2 gradients for 1 inputs"),
])
def test_backward_returning_the_wrong_number_of_gradients_is_named(function, inputs, counts):
    args = [npnn.ones(3, requires_grad=True) for _ in range(inputs)]
    out = function.apply(*args)
    with pytest.raises(RuntimeError, match=f"{function.__name__}.backward returned {counts}"):
        out.sum().backward()


def test_leaves_never_share_a_gradient_array():
    x = npnn.tensor([1.0, 2.0], requires_grad=True)
    y = npnn.tensor([3.0, 4.0], requires_grad=True)
    (x + y).sum().backward()  # Add hands the same upstream gradient to both inputs
    assert x.grad is not y.grad
    x.grad *= 10  # an in-place change (as clip_grad_norm_ makes) must not reach y
    np.testing.assert_allclose(y.grad, [1.0, 1.0])


def test_gradient_passed_to_backward_is_not_aliased_by_leaf_grads():
    x = npnn.tensor([1.0, 2.0], requires_grad=True)
    upstream = np.array([1.0, 1.0], dtype=np.float32)
    (x + 0.0).backward(upstream)
    x.grad *= 5
    np.testing.assert_array_equal(upstream, [1.0, 1.0])


def test_broadcast_gradient_views_are_copied_into_writable_grads():
    x = npnn.tensor(3.0, requires_grad=True)
    npnn.ones(4, 5).mul(x).sum().backward()
    x.grad += 1  # must be a writable array of its own
    assert float(x.grad) == 21.0


def test_grad_fn_prints_as_torchs():
    x = npnn.ones(2, requires_grad=True)
    assert re.fullmatch(r"<AddBackward object at 0x[0-9a-f]+>", repr((x + 1).grad_fn))
    assert "grad_fn=<AddBackward>" in repr(x + 1)
