"""npnn.autograd.grad against torch.autograd.grad: returned gradients, untouched .grad, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")


def _values() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {"x": rng.standard_normal((5, 4)), "w": rng.standard_normal((4, 3)),
            "b": rng.standard_normal(3), "v": rng.standard_normal((5, 3))}


def _leaves(lib: Any) -> dict[str, Any]:
    if lib is npnn:
        return {k: npnn.tensor(v, requires_grad=True) for k, v in _values().items()}
    return {k: torch.tensor(v, requires_grad=True) for k, v in _values().items()}


def _numpy(t: Any) -> np.ndarray:
    return t.detach().numpy() if hasattr(t, "detach") else t.numpy()


def _mlp(t: dict[str, Any]) -> tuple[Any, Any]:
    """A hidden activation (non-leaf) and a scalar loss that uses x twice and broadcasts b."""
    hidden = (t["x"] @ t["w"] + t["b"]).tanh()
    return hidden, (hidden * hidden).sum() + (t["x"] * t["x"]).mean()


CASES: list[tuple[str, Callable[[dict[str, Any]], tuple[Any, Any, Any]]]] = [
    # (id, build(leaves) -> (outputs, inputs, grad_outputs))
    ("scalar", lambda t: (_mlp(t)[1], [t["x"], t["w"], t["b"]], None)),
    ("vector_output", lambda t: (_mlp(t)[0], [t["w"], t["b"]], t["v"] * 1)),
    ("two_outputs", lambda t: ([_mlp(t)[1], (t["x"] @ t["w"]).exp()], [t["w"], t["x"]],
                               [None, t["v"] * 1])),
    ("nonleaf_input", lambda t: (lambda h, loss: (loss, [h, t["b"]], None))(*_mlp(t))),
    ("output_is_input", lambda t: (t["b"], [t["b"]], t["b"] * 0 + 2)),
]


@pytest.mark.parametrize(("case", "build"), CASES, ids=[c[0] for c in CASES])
def test_gradients_match_torch_and_leave_grad_alone(case: str, build: Callable[..., Any]) -> None:
    results = []
    for lib in (npnn, torch):
        leaves = _leaves(lib)
        outputs, inputs, grad_outputs = build(leaves)
        if lib is npnn:
            leaves["b"].grad = npnn.tensor(np.full(3, 7.0))  # an earlier gradient stays as it was
            if isinstance(grad_outputs, list):
                grad_outputs = [None if g is None else g.detach() for g in grad_outputs]
            elif grad_outputs is not None:
                grad_outputs = grad_outputs.detach()
        grads = lib.autograd.grad(outputs, inputs, grad_outputs=grad_outputs)
        results.append([_numpy(g) for g in grads])
        if lib is npnn:
            assert all(not g.requires_grad for g in grads)
            assert all(leaves[k].grad is None for k in ("x", "w", "v"))
            np.testing.assert_array_equal(leaves["b"].grad.numpy(), np.full(3, 7.0))
    for ours, theirs in zip(*results, strict=True):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_unused_input_raises_or_gives_none_as_torch() -> None:
    for lib in (npnn, torch):
        leaves = _leaves(lib)
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            lib.autograd.grad(_mlp(leaves)[1], [leaves["w"], leaves["v"]])
        leaves = _leaves(lib)
        grads = lib.autograd.grad(_mlp(leaves)[1], [leaves["w"], leaves["v"]], allow_unused=True)
        assert grads[0] is not None and grads[1] is None


def test_retain_graph_allows_a_second_call() -> None:
    leaves = _leaves(npnn)
    loss = _mlp(leaves)[1]
    first = npnn.autograd.grad(loss, leaves["w"], retain_graph=True)[0]
    second = npnn.autograd.grad(loss, leaves["w"])[0]
    np.testing.assert_array_equal(first.numpy(), second.numpy())
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        npnn.autograd.grad(loss, leaves["w"])


def test_grad_then_backward_on_a_retained_graph() -> None:
    leaves = _leaves(npnn)
    loss = _mlp(leaves)[1]
    returned = npnn.autograd.grad(loss, leaves["w"], retain_graph=True)[0]
    loss.backward()
    np.testing.assert_allclose(leaves["w"].grad.numpy(), returned.numpy(), rtol=1e-15)


def test_grad_of_a_non_leaf_leaves_the_graph_below_it_for_a_later_backward() -> None:
    """grad swept on below a non-leaf input and freed that graph (review): a later backward
    through it failed, and an in-place change below it was refused."""
    results = []
    for lib in (npnn, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = x.exp()
        (g,) = (npnn.autograd if lib is npnn else torch.autograd).grad((h * h).sum(), h)
        (h * 3).sum().backward()  # h's own graph was not run by grad, so it is still there
        a = x.exp() * 1
        b = a * 3
        a.add_(1)  # below b: grad with respect to b never runs a's node, so this is allowed
        (gb,) = (npnn.autograd if lib is npnn else torch.autograd).grad((b * b).sum(), b)
        results.append([_numpy(t) for t in (g, x.grad, gb)])
    for mine, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-6)


def test_grad_runs_only_the_nodes_above_its_inputs() -> None:
    leaves = _leaves(npnn)
    hidden = (leaves["x"] @ leaves["w"]).tanh()
    below = hidden.grad_fn.parents[0]  # the matmul under the tanh
    npnn.autograd.grad((hidden * hidden).sum(), hidden)
    assert below.inputs is not None  # not run, so not freed
    assert hidden.grad_fn.inputs is not None  # the input's own node is below it too


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda t: npnn.autograd.grad(_mlp(t)[1], t["w"], create_graph=True), NotImplementedError,
     "create_graph=True"),
    (lambda t: npnn.autograd.grad(_mlp(t)[0], t["w"]), RuntimeError,
     "grad can be implicitly created only for scalar outputs"),
    (lambda t: npnn.autograd.grad(_mlp(t)[0], t["w"], grad_outputs=npnn.tensor(np.ones(3))),
     RuntimeError, "Mismatch in shape"),
    (lambda t: npnn.autograd.grad(_mlp(t)[1], npnn.tensor(np.ones(3))), RuntimeError,
     "One of the differentiated Tensors does not require grad"),
    (lambda t: npnn.autograd.grad(_mlp(t)[1].detach(), t["w"]), RuntimeError,
     "element 0 of tensors does not require grad and does not have a grad_fn"),
    (lambda t: npnn.autograd.grad(_mlp(t)[1], []), RuntimeError,
     "`inputs` argument to `grad\\(\\)` cannot be empty"),
])
def test_errors(call: Callable[[dict[str, Any]], Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call(_leaves(npnn))
