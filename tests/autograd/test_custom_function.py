"""PyTorch's custom autograd.Function form (static forward/backward with ctx) against torch."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import npnn
from npnn.autograd.function import once_differentiable
from npnn.autograd.gradcheck import gradcheck

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")


def _functions(lib: Any) -> dict[str, type]:
    """The same custom Functions written once against `lib` (npnn or torch)."""
    base = lib.autograd.Function

    class MyReLU(base):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    class Legendre3(base):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    class ScaleTwo(base):
        """Two outputs, a non-Tensor argument and a keyword: (x * k, x * y)."""

        @staticmethod
        def forward(ctx, x, k, y):
            ctx.save_for_backward(x, y)
            ctx.k = k
            return x * k, x * y

        @staticmethod
        @once_differentiable if lib is npnn else torch.autograd.function.once_differentiable
        def backward(ctx, g1, g2):
            x, y = ctx.saved_tensors
            return g1 * ctx.k + g2 * y, None, g2 * x

    class ArgMax(base):
        """A differentiable value and a non-differentiable index."""

        @staticmethod
        def forward(ctx, x):
            index = x.argmax()
            ctx.mark_non_differentiable(index)
            ctx.save_for_backward(x, index)
            return x.max(), index

        @staticmethod
        def backward(ctx, grad_value, grad_index):
            x, index = ctx.saved_tensors
            grad = x * 0
            grad[index] = grad_value
            return grad

    class Needs(base):
        """Records ctx.needs_input_grad; backward returns only what is needed."""

        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            Needs.seen = tuple(ctx.needs_input_grad)
            return (g * b if ctx.needs_input_grad[0] else None,
                    g * a if ctx.needs_input_grad[1] else None)

    class NewStyle(base):
        """torch 2.x: forward without ctx, setup_context separately."""

        @staticmethod
        def forward(x, y):
            return x * y + x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * (y + 1), g * x

    class Identity(base):
        """Returns its input unchanged."""

        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    return {c.__name__: c for c in (MyReLU, Legendre3, ScaleTwo, ArgMax, Needs, NewStyle,
                                     Identity)}


NP, TH = _functions(npnn), _functions(torch)


def _pair(array: np.ndarray, requires_grad: bool = True) -> tuple[Any, Any]:
    return (npnn.tensor(array.copy(), requires_grad=requires_grad),
            torch.tensor(array.copy(), requires_grad=requires_grad))


def _close(a: Any, b: Any) -> None:
    np.testing.assert_allclose(np.asarray(a.detach().numpy() if hasattr(a, "numpy") else a),
                               b.detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5,), (3, 4), ()])
def test_my_relu_matches_torch(dtype: Any, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(len(shape))
    (x, tx) = _pair(rng.standard_normal(shape).astype(dtype))
    y, ty = NP["MyReLU"].apply(x), TH["MyReLU"].apply(tx)
    assert y.dtype == x.dtype and y.requires_grad
    _close(y, ty)
    weight = rng.standard_normal(shape).astype(dtype)
    (y * npnn.tensor(weight)).sum().backward()
    (ty * torch.tensor(weight)).sum().backward()
    _close(x.grad, tx.grad)
    assert "MyReLUBackward" in repr(y.grad_fn)


def test_legendre_tutorial_five_sgd_steps_match_torch() -> None:
    """'Learning PyTorch with Examples': y = a + b * P3(c + d * x), SGD by hand."""
    losses = {}
    for lib, fns in ((npnn, NP), (torch, TH)):
        grid = np.linspace(-math.pi, math.pi, 2000)
        x, y = lib.tensor(grid), lib.tensor(np.sin(grid))
        a, b, c, d = (lib.full((), v, dtype=lib.float64, requires_grad=True)
                      for v in (0.0, -1.0, 0.0, 0.3))
        run = []
        for _ in range(5):
            y_pred = a + b * fns["Legendre3"].apply(c + d * x)
            loss = (y_pred - y).pow(2).sum()
            run.append(loss.item())
            loss.backward()
            with lib.no_grad():
                for p in (a, b, c, d):
                    p -= 5e-6 * p.grad
                    p.grad = None
        losses[lib.__name__] = run
    np.testing.assert_allclose(losses["npnn"], losses["torch"], rtol=1e-12)
    assert losses["npnn"][-1] < losses["npnn"][0]


def test_two_outputs_and_non_tensor_argument() -> None:
    rng = np.random.default_rng(1)
    x, tx = _pair(rng.standard_normal((2, 3)))
    y, ty = _pair(rng.standard_normal((2, 3)))
    out, tout = NP["ScaleTwo"].apply(x, 2.5, y), TH["ScaleTwo"].apply(tx, 2.5, ty)
    for o, t in zip(out, tout, strict=True):
        _close(o, t)
    # both outputs used, then only the second (the first's gradient is zeros, materialized)
    (out[0] * 2 + out[1] ** 2).sum().backward()
    (tout[0] * 2 + tout[1] ** 2).sum().backward()
    _close(x.grad, tx.grad)
    _close(y.grad, ty.grad)
    out, tout = NP["ScaleTwo"].apply(x, 0.5, y), TH["ScaleTwo"].apply(tx, 0.5, ty)
    out[1].sum().backward()
    tout[1].sum().backward()
    _close(x.grad, tx.grad)
    _close(y.grad, ty.grad)


def test_mark_non_differentiable() -> None:
    values = np.array([0.3, 2.0, -1.0, 1.5])
    x, tx = _pair(values)
    (value, index), (tvalue, tindex) = NP["ArgMax"].apply(x), TH["ArgMax"].apply(tx)
    assert value.requires_grad and not index.requires_grad and index.grad_fn is None
    assert tvalue.requires_grad and not tindex.requires_grad
    assert int(index.item()) == int(tindex.item())
    (value * 3).backward()
    (tvalue * 3).backward()
    _close(x.grad, tx.grad)


@pytest.mark.parametrize("grads", [(True, False), (False, True), (True, True)])
def test_needs_input_grad(grads: tuple[bool, bool]) -> None:
    rng = np.random.default_rng(2)
    a, ta = _pair(rng.standard_normal(3), grads[0])
    b, tb = _pair(rng.standard_normal(3), grads[1])
    NP["Needs"].apply(a, b).sum().backward()
    TH["Needs"].apply(ta, tb).sum().backward()
    assert NP["Needs"].seen == TH["Needs"].seen == grads
    for t, tt in ((a, ta), (b, tb)):
        assert (t.grad is None) == (tt.grad is None)
        if t.grad is not None:
            _close(t.grad, tt.grad)


def test_new_style_setup_context_and_identity() -> None:
    rng = np.random.default_rng(4)
    x, tx = _pair(rng.standard_normal(4))
    y, ty = _pair(rng.standard_normal(4))
    NP["NewStyle"].apply(x, y).sum().backward()
    TH["NewStyle"].apply(tx, ty).sum().backward()
    _close(x.grad, tx.grad)
    _close(y.grad, ty.grad)
    x.grad, tx.grad = None, None
    out, tout = NP["Identity"].apply(x), TH["Identity"].apply(tx)
    assert out.requires_grad and out is not x and tout is not tx
    _close(out, tout)
    out.sum().backward()
    tout.sum().backward()
    _close(x.grad, tx.grad)


def test_no_grad_inputs_record_no_node() -> None:
    for lib, fns in ((npnn, NP), (torch, TH)):
        x = lib.tensor([1.0, -2.0])
        assert fns["MyReLU"].apply(x).grad_fn is None
        x.requires_grad_(True)
        with lib.no_grad():
            assert fns["MyReLU"].apply(x).grad_fn is None


def test_saved_tensor_modified_in_place_raises() -> None:
    for lib, fns in ((npnn, NP), (torch, TH)):
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        h = x * 1
        y = fns["MyReLU"].apply(h)
        with lib.no_grad():
            h.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_wrong_number_of_gradients_raises() -> None:
    for lib in (npnn, torch):
        class TooFew(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return a * b

            @staticmethod
            def backward(ctx, g):
                return g

        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match=r"TooFewBackward returned an incorrect number of "
                                               r"gradients \(expected 2, got 1\)"):
            TooFew.apply(a, a * 2).sum().backward()


def test_gradient_for_non_tensor_input_raises() -> None:
    for lib in (npnn, torch):
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, k):
                return a * k

            @staticmethod
            def backward(ctx, g):
                return g, g

        a = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="returned a gradient different than None at "
                                               "position 2"):
            Scale.apply(a, 2.0).sum().backward()


def test_save_for_backward_refuses_non_tensors_and_mark_dirty_is_refused() -> None:
    class Bad(npnn.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(3)
            return a

        @staticmethod
        def backward(ctx, g):
            return g

    class Dirty(npnn.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.mark_dirty(a)
            return a

        @staticmethod
        def backward(ctx, g):
            return g

    a = npnn.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="save_for_backward can only save variables"):
        Bad.apply(a)
    with pytest.raises(NotImplementedError, match="mark_dirty"):
        Dirty.apply(a)


def test_set_materialize_grads_false_passes_none() -> None:
    seen = []  # npnn's, then torch's
    for lib in (npnn, torch):
        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                seen.append((g1 is None, g2 is None))
                return g2 * 3

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        Two.apply(x)[1].sum().backward()
        assert x.grad.tolist() == [3.0, 3.0]
    assert seen == [(True, False), (True, False)]


@pytest.mark.parametrize("name", ["MyReLU", "Legendre3", "NewStyle", "ScaleTwo"])
def test_gradcheck_custom_functions(name: str) -> None:
    rng = np.random.default_rng(5)
    x = npnn.tensor(rng.standard_normal((3, 2)) + 0.05, requires_grad=True)
    y = npnn.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    fn = NP[name]
    funcs = {"MyReLU": (lambda a, b: fn.apply(a) * b, [x, y]),
             "Legendre3": (lambda a: fn.apply(a), [x]),
             "NewStyle": (lambda a, b: fn.apply(a, b), [x, y]),
             "ScaleTwo": (lambda a, b: fn.apply(a, 1.5, b)[0] * fn.apply(a, 0.5, b)[1], [x, y])}
    func, inputs = funcs[name]
    assert gradcheck(func, inputs)


def test_autograd_grad_hooks_and_retain_graph_through_a_custom_function() -> None:
    rng = np.random.default_rng(6)
    results = []
    for lib, fns in ((npnn, NP), (torch, TH)):
        x = lib.tensor(rng.standard_normal(4) if lib is npnn else results[0][0], requires_grad=True)
        y = fns["Legendre3"].apply(x * 2)
        seen = []
        y.register_hook(lambda g, seen=seen: seen.append(g.sum().item()))
        loss = (y * y).sum()
        (first,) = lib.autograd.grad(loss, x, retain_graph=True)
        loss.backward()
        results.append((x.detach().numpy().copy(), first.detach().numpy(), x.grad.detach().numpy(),
                        seen))
    mine, theirs = results
    np.testing.assert_allclose(mine[1], theirs[1], rtol=1e-12)
    np.testing.assert_allclose(mine[2], theirs[2], rtol=1e-12)
    np.testing.assert_allclose(mine[3], theirs[3], rtol=1e-12)
    assert len(mine[3]) == 2


def test_gradient_of_a_wrong_shape_raises_and_a_broadcast_one_is_summed() -> None:
    for lib in (npnn, torch):
        class Shaped(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, grad):
                ctx.grad = grad  # what backward returns, of any shape
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return ctx.grad, None

        a = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float32, requires_grad=True)
        with pytest.raises(RuntimeError, match=r"Function ShapedBackward returned an invalid "
                                               r"gradient at index 0 - got \[2\] but expected "
                                               r"shape compatible with \[3\]"):
            Shaped.apply(a, lib.ones(2, dtype=lib.float32)).sum().backward()
        a.grad = None
        Shaped.apply(a, lib.ones((4, 3), dtype=lib.float32)).sum().backward()
        assert a.grad.tolist() == [4.0, 4.0, 4.0]


def test_two_outputs_of_different_dtypes() -> None:
    seen = []
    for lib in (npnn, torch):
        class Split(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2, (a * 3).double()

            @staticmethod
            def backward(ctx, g1, g2):
                seen.append((g1.dtype, g2.dtype))
                return g1 * 2 + (g2 * 3).float()

        a = lib.tensor([1.0, 2.0], dtype=lib.float32, requires_grad=True)
        first, second = Split.apply(a)
        assert (first.dtype, second.dtype) == (lib.float32, lib.float64)
        (first * 5 + second.float() * 7).sum().backward()
        assert a.grad.dtype == lib.float32 and a.grad.tolist() == [31.0, 31.0]
    assert [str(d).split(".")[-1] for d in seen[0]] == [str(d).split(".")[-1] for d in seen[1]]
