"""Tensor.register_hook and retain_grad with PyTorch's semantics, compared with torch: a hook
sees the gradient and may replace it, on leaves (once, with the summed gradient) and on
non-leaves; retain_grad keeps a non-leaf's gradient; handles remove hooks."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn.autograd import hooks


def _graph(m, x, seen, *, retain=False, scale_leaf=None, scale_mid=None):
    """y = x * 2 used twice, through a hook on y (and on x): the same graph for both libraries."""
    y = x * 2
    if retain:
        y.retain_grad()
    y.register_hook(lambda g: seen.append(("y", g.numpy().copy())))
    if scale_mid is not None:
        y.register_hook(lambda g: g * scale_mid)
    if scale_leaf is not None:
        x.register_hook(lambda g: g * scale_leaf)
    x.register_hook(lambda g: seen.append(("x", g.numpy().copy())))
    z = (y * y).sum() + (y * x).sum()
    return y, z


@pytest.mark.parametrize("options", [{}, {"retain": True}, {"scale_leaf": 3.0},
                                     {"scale_mid": 0.5, "retain": True}])
def test_hooks_match_torch(options: dict) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
    data = np.array([1.0, -2.0, 0.5])
    results = []
    for m in (npnn, torch):
        x = m.tensor(data, requires_grad=True)
        seen: list = []
        y, z = _graph(m, x, seen, **options)
        z.backward()
        kept = y.grad.numpy() if options.get("retain") else None  # torch warns on a plain non-leaf
        results.append((seen, x.grad.numpy(), kept))
    (ours_seen, ours_grad, ours_y), (their_seen, their_grad, their_y) = results
    assert [name for name, _ in ours_seen] == [name for name, _ in their_seen]
    for (_, mine), (_, theirs) in zip(ours_seen, their_seen, strict=True):
        np.testing.assert_allclose(mine, theirs)
    np.testing.assert_allclose(ours_grad, their_grad)
    if ours_y is not None:
        np.testing.assert_allclose(ours_y, their_y)


def test_a_non_leaf_keeps_no_grad_without_retain_grad() -> None:
    y = npnn.ones(2, requires_grad=True) * 2
    y.register_hook(lambda g: g * 2)
    y.sum().backward()
    assert y.grad is None


def test_a_leaf_hook_runs_once_on_the_summed_gradient() -> None:
    x = npnn.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append(g.numpy().copy()))
    (x * 3 + x * x).sum().backward()
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0], [5.0, 7.0])


def test_handles_remove_hooks_and_the_engine_stops_looking() -> None:
    live = hooks.live_leaf_hooks
    x = npnn.ones(2, requires_grad=True)
    handle = x.register_hook(lambda g: g * 10)
    assert hooks.live_leaf_hooks == live + 1
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [10.0, 10.0])
    handle.remove()
    handle.remove()  # a second remove changes nothing
    assert hooks.live_leaf_hooks == live
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])
    y = x * 2
    with y.register_hook(lambda g: g * 0):
        pass  # removed on leaving the block
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_a_dropped_leaf_takes_its_hooks_off_the_count() -> None:
    live = hooks.live_leaf_hooks
    x = npnn.ones(2, requires_grad=True)
    x.register_hook(lambda g: g)
    assert hooks.live_leaf_hooks == live + 1
    del x
    assert hooks.live_leaf_hooks == live


def test_retain_grad_accumulates_and_is_reported() -> None:
    x = npnn.ones(3, requires_grad=True)
    y = x * 2
    assert not y.retains_grad and y.grad is None
    y.retain_grad()
    y.retain_grad()  # twice is once
    assert y.retains_grad and not x.retains_grad
    z = (y * y).sum()
    z.backward(retain_graph=True)
    np.testing.assert_allclose(y.grad.numpy(), [4.0, 4.0, 4.0])
    z.backward()
    np.testing.assert_allclose(y.grad.numpy(), [8.0, 8.0, 8.0])
    x.retain_grad()  # a leaf keeps its gradient anyway
    assert x.grad is not None


def test_hook_on_root_and_misuse_errors() -> None:
    x = npnn.ones(2, requires_grad=True)
    x.register_hook(lambda g: g * 2)
    x.backward(npnn.tensor([1.0, 3.0]))  # the root is the leaf
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 6.0])
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        npnn.ones(2).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        npnn.ones(2).retain_grad()
    y = npnn.ones(2, requires_grad=True) * 2
    y.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match="changed the size"):
        y.sum().backward()


def test_the_sweep_without_hooks_keeps_the_plain_backward() -> None:
    """No hook: nodes keep their class's backward, the engine's leaf callback is the plain one."""
    x = npnn.ones(2, requires_grad=True)
    y = x * 2
    assert "backward" not in vars(y.grad_fn)
    y.register_hook(lambda g: g)
    assert "backward" in vars(y.grad_fn)


def test_retain_grad_survives_backward_and_accumulates_into_a_new_tensor() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
    results = []
    for m in (npnn, torch):
        a = m.ones(2, requires_grad=True)
        b = a * 3
        b.retain_grad()
        (b * 3).sum().backward()  # frees the graph
        freed = b.retains_grad
        c = a * 3
        c.retain_grad()
        (c * 3).sum().backward(retain_graph=True)
        first = c.grad
        (c * 3).sum().backward()
        results.append((freed, b.grad.tolist(), first.tolist(), c.grad.tolist(), first is c.grad))
    assert results[0] == results[1]
