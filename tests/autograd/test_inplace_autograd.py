"""Autograd through in-place updates, as PyTorch's: the same code gives the same values and
gradients on npnn and torch, the version counter refuses a graph whose saved values changed,
and a leaf (or a view of one) that requires grad is refused. Finite differences: op_table_more.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU is the reference for in-place autograd")


def _micrograd_more_ops(lib: Any) -> list[float]:
    """micrograd's test_engine.py `test_more_ops`, as it is written for torch."""
    a = lib.Tensor([-4.0]).double()
    b = lib.Tensor([2.0]).double()
    a.requires_grad = True
    b.requires_grad = True
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return [g.item(), a.grad.item(), b.grad.item()]


def test_micrograd_test_engine_runs_and_matches_pytorch() -> None:
    ours, theirs = _micrograd_more_ops(npnn), _micrograd_more_ops(torch)
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert theirs[0] == pytest.approx(24.70408163265306)


CASES: dict[str, Callable[[Any, Any, Any], Any]] = {
    "view_add_": lambda w, v: _then(w * 2, lambda z: z[0].add_(v), lambda z: z * z),
    "setitem_from_the_graph": lambda w, v: _then(w * 1, lambda z: z.__setitem__(0, z[0] + v * v),
                                                 lambda z: z * w),
    "setitem_constant": lambda w, v: _then(w * 3, lambda z: z.__setitem__((slice(None), 1), 7.0),
                                           lambda z: z * w),
    "row_mul_then_exp": lambda w, v: _then(w + 0, lambda z: z[1].mul_(v), lambda z: z.exp()),
    "copy_": lambda w, v: _then(w * 1, lambda z: z[0].copy_(v * 3), lambda z: z * w),
    "zero_and_fill_": lambda w, v: _then(w * 1, lambda z: (z[0].zero_(), z[1].fill_(2.0)),
                                         lambda z: z * w),
    "chain_of_methods": lambda w, v: _then(w * 1, lambda z: z.add_(v, alpha=2).sub_(1).div_(v),
                                           lambda z: z**2),
    # views of views: the change reaches every base in the graph, as PyTorch's
    "movedim_row_mul_": lambda w, v: _then(w * 1, lambda z: z.movedim(0, 1)[0].mul_(10), lambda z: z * w),
    "swapaxes_row_add_": lambda w, v: _then(w * 1, lambda z: z.swapaxes(0, 1)[1:].add_(v[:2, None]),
                                            lambda z: z * z),
    "transpose_mul_": lambda w, v: _then(w * 1, lambda z: z.t().mul_(v[:2]), lambda z: z * w),
    "permute_row_mul_": lambda w, v: _then(w * 1, lambda z: z.permute(1, 0)[2].mul_(v[1]), lambda z: z * w),
    "narrow_t_mul_": lambda w, v: _then(w * 1, lambda z: z.narrow(1, 1, 2).t()[0].mul_(10),
                                        lambda z: z * w),
    "row_of_a_slice": lambda w, v: _then(w * 1, lambda z: z[:, 1:][1].mul_(v[:2]), lambda z: z * w),
    "reshape_view_mul_": lambda w, v: _then(w * 1, lambda z: z.reshape(6)[1:4].mul_(v), lambda z: z * z),
    "diagonal_add_": lambda w, v: _then(w * 1, lambda z: z.diagonal().add_(v[:2] * 2), lambda z: z * w),
    "diagonal_offset_mul_": lambda w, v: _then(w * 1, lambda z: z.diagonal(1).mul_(v[0]), lambda z: z * z),
    "one_view_changed_twice": lambda w, v: _then(
        w * 1, lambda z: (lambda row: (row.mul_(v[:2]), row.add_(1)))(z.t()[1]), lambda z: z * w),
    "plain_tensor_becomes_part_of_the_graph": lambda w, v: _then(
        v.detach() * 0, lambda z: z.__iadd__(v * 2), lambda z: z * v),
}


def _then(tensor: Any, update: Callable[[Any], Any], use: Callable[[Any], Any]) -> Any:
    update(tensor)
    return use(tensor)


def _run(lib: Any, case: Callable[[Any, Any], Any]) -> list[Any]:
    w = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64, requires_grad=True)
    v = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
    out = case(w, v)
    out.sum().backward()
    return [None if t is None else t.detach().numpy().copy() for t in (out, w.grad, v.grad)]


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_through_inplace_updates_match_pytorch(name: str) -> None:
    ours, theirs = _run(npnn, CASES[name]), _run(torch, CASES[name])
    for label, mine, reference in zip(("output", "w.grad", "v.grad"), ours, theirs, strict=True):
        assert (mine is None) == (reference is None), label
        if reference is not None:
            np.testing.assert_allclose(mine, reference, rtol=1e-12, err_msg=label)


@pytest.mark.parametrize("lib", [npnn, torch], ids=["npnn", "torch"])
def test_changing_a_saved_value_refuses_backward(lib: Any) -> None:
    x = lib.ones(3, requires_grad=True)
    y = x.exp()  # exp saves its output for backward
    y += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("lib", [npnn, torch], ids=["npnn", "torch"])
def test_changing_a_value_the_graph_did_not_save_is_fine(lib: Any) -> None:
    x = lib.ones(3, requires_grad=True)
    y = x + 1  # add saves nothing
    z = y * 2  # mul by a constant saves only the constant
    y += 5
    z.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("lib", [npnn, torch], ids=["npnn", "torch"])
def test_an_optimizer_step_between_forward_and_backward_is_refused(lib: Any) -> None:
    model = lib.nn.Linear(3, 1)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
    x = lib.ones(2, 3, requires_grad=True)
    first = model(x).sum()
    first.backward(retain_graph=True)
    optimizer.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        first.backward()  # the weight saved for x's gradient has changed


@pytest.mark.parametrize("lib", [npnn, torch], ids=["npnn", "torch"])
def test_versions_count_as_pytorch_and_views_share_them(lib: Any) -> None:
    base = lib.zeros(2, 3)
    row, detached = base[0], base.detach()
    row += 1
    detached.mul_(2)
    base[1] = 3.0
    assert base._version == row._version == detached._version == 3
    base.data.add_(1)  # .data is outside autograd's bookkeeping
    assert base._version == 3


@pytest.mark.parametrize("lib", [npnn, torch], ids=["npnn", "torch"])
def test_a_leaf_or_a_view_of_a_leaf_that_requires_grad_is_refused(lib: Any) -> None:
    leaf = lib.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf[0].mul_(2)
    with lib.no_grad():
        leaf.add_(1)
    assert leaf.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("lib", [npnn, torch], ids=["npnn", "torch"])
def test_an_expanded_view_of_a_graph_tensor_is_refused(lib: Any) -> None:
    z = lib.ones(1, 3, requires_grad=True) * 1
    with pytest.raises(RuntimeError):
        z.expand(2, 3).mul_(2)


def test_a_diagonal_is_a_writeable_view_and_diag_a_copy_as_torch() -> None:
    for lib in (npnn, torch):
        x = lib.zeros(3, 4)
        x.diagonal().add_(1)
        x.diagonal(-1).add_(2)
        lib.diag(x).add_(100)  # a copy in both libraries
        batch = lib.zeros(2, 3, 3)
        batch.diagonal(0, -2, -1).fill_(5)
        if lib is npnn:
            ours = (x.numpy().copy(), batch.numpy().copy())
        else:
            np.testing.assert_array_equal(ours[0], x.numpy())
            np.testing.assert_array_equal(ours[1], batch.numpy())


@pytest.mark.parametrize("lib", [npnn, torch], ids=["npnn", "torch"])
def test_a_diagonal_shares_the_version_counter_and_a_saved_base_is_refused(lib: Any) -> None:
    x = lib.zeros(3, 3)
    diagonal = x.diagonal(1)
    diagonal.add_(1)
    assert x._version == diagonal._version == 1
    y = lib.ones(3, 3, requires_grad=True) * 2
    squares = y.pow(2)  # saves y
    y.diagonal().mul_(3)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        squares.sum().backward()
