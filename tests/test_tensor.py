"""Tensor: construction dtype rules, array facts, operators (reflected forms included),
comparisons, factories and seeded randomness."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import npnn
from npnn import ops


# ----- construction -----
@pytest.mark.parametrize(("data", "dtype"), [
    (1.5, np.float32),
    ([1.0, 2.0], np.float32),
    ([[1, 2], [3.5, 4]], np.float32),
    (3, np.int64),
    ([1, 2, 3], np.int64),
    (True, np.bool_),
    ([True, False], np.bool_),
    (np.array([1.0, 2.0]), np.float64),
    (np.array([1.0], dtype=np.float32), np.float32),
    (np.array([1, 2], dtype=np.int32), np.int32),
    (np.array([1, 2], dtype=np.int64), np.int64),
    (np.array([1, 2], dtype=np.uint8), np.uint8),
    (np.float64(2.0), np.float64),
], ids=["float", "float_list", "mixed_list", "int", "int_list", "bool", "bool_list",
        "ndarray_f64", "ndarray_f32", "ndarray_i32", "ndarray_i64", "ndarray_u8", "np_f64_scalar"])
@pytest.mark.parametrize("make", [npnn.tensor, npnn.Tensor], ids=["tensor", "Tensor"])
def test_construction_dtype_rules(make, data, dtype) -> None:
    t = make(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(data))


@pytest.mark.parametrize("dtype", [npnn.float64, npnn.float32, npnn.int32, npnn.int64, "float16"])
def test_dtype_argument_wins(dtype) -> None:
    assert npnn.tensor([1, 2], dtype=dtype).dtype == np.dtype(dtype)
    assert npnn.tensor(np.array([1.0, 2.0]), dtype=dtype).dtype == np.dtype(dtype)


def test_default_dtype_controls_python_floats() -> None:
    npnn.set_default_dtype(np.float64)
    try:
        assert npnn.tensor([1.0]).dtype == np.float64
        assert npnn.zeros(2).dtype == np.float64
    finally:
        npnn.set_default_dtype(np.float32)
    assert npnn.tensor([1.0]).dtype == np.float32


def test_tensor_copies_but_from_numpy_shares() -> None:
    array = np.zeros(3)
    copied, shared = npnn.tensor(array), npnn.from_numpy(array)
    array[0] = 5.0
    assert copied.numpy()[0] == 0.0 and shared.numpy()[0] == 5.0


@pytest.mark.parametrize("data", [[1, 2], np.array([1, 2], dtype=np.int32), [True]])
def test_integer_tensor_cannot_require_grad(data) -> None:
    with pytest.raises(RuntimeError, match="floating-point") as info:
        npnn.tensor(data, requires_grad=True)
    assert ".float()" in str(info.value)  # tells the user what to do
    t = npnn.tensor(data)
    with pytest.raises(RuntimeError, match="floating-point"):
        t.requires_grad_()
    assert npnn.tensor(data).float().requires_grad_().requires_grad


# ----- array facts -----
def test_array_facts() -> None:
    t = npnn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3) and t.size() == (2, 3) and t.size(1) == 3 and t.size(-2) == 2
    assert t.ndim == 2 and t.dim() == 2 and t.numel() == 6 and len(t) == 2
    assert t.dtype == np.float32
    assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert isinstance(t.numpy(), np.ndarray) and t.numpy().shape == (2, 3)
    assert t[1, 2].item() == 6.0 and isinstance(t[1, 2].item(), float)
    assert npnn.tensor(7).item() == 7 and isinstance(npnn.tensor(7).item(), int)
    assert npnn.tensor([[2.5]]).item() == 2.5
    assert float(npnn.tensor(1.5)) == 1.5 and int(npnn.tensor(3)) == 3
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        t.item()
    with pytest.raises(TypeError):
        len(npnn.tensor(1.0))


def test_transpose_property_T() -> None:
    t = npnn.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(t.T.numpy(), np.arange(6.0).reshape(2, 3).T)
    assert npnn.zeros(2, 3, 4).T.shape == (4, 3, 2)
    assert npnn.tensor([1.0, 2.0]).T.shape == (2,)
    x = npnn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (x.T * npnn.tensor([[1.0, 10.0], [100.0, 1000.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 100.0], [10.0, 1000.0]])


def test_indexing_values_and_gradient() -> None:
    data = np.arange(12.0).reshape(3, 4)
    x = npnn.tensor(data, requires_grad=True)
    for index in [1, (slice(None), 2), (Ellipsis, None, slice(1, 3)), [2, 0, 2],
                  data > 5, (np.array([0, 2]), np.array([1, 3]))]:
        np.testing.assert_array_equal(x[index].numpy(), data[index])
    np.testing.assert_array_equal(x[npnn.tensor([2, 2])].numpy(), data[[2, 2]])
    x[[0, 0, 2]].sum().backward()
    np.testing.assert_array_equal(x.grad, [[2.0] * 4, [0.0] * 4, [1.0] * 4])


def test_iteration_yields_rows() -> None:
    rows = list(npnn.tensor([[1, 2], [3, 4]]))
    assert [r.tolist() for r in rows] == [[1, 2], [3, 4]]


# ----- operators -----
X = np.array([[0.5, 1.5, 2.0], [1.0, 2.5, 3.0]])
Y = np.array([0.25, 2.0, 1.5])

BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("form", ["tensor_tensor", "tensor_scalar", "scalar_tensor",
                                  "tensor_ndarray", "ndarray_tensor"])
def test_operator_overloads(op, form: str) -> None:
    x = npnn.tensor(X, requires_grad=True)
    left, right, expected = {
        "tensor_tensor": (x, npnn.tensor(Y), op(X, Y)),
        "tensor_scalar": (x, 2.0, op(X, 2.0)),
        "scalar_tensor": (2.0, x, op(2.0, X)),
        "tensor_ndarray": (x, Y, op(X, Y)),
        "ndarray_tensor": (Y, x, op(Y, X)),
    }[form]
    out = op(left, right)
    assert isinstance(out, npnn.Tensor), f"{form} gave {type(out).__name__}"
    assert out.requires_grad and out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    out.sum().backward()
    assert x.grad is not None and x.grad.shape == X.shape


@pytest.mark.parametrize(("expression", "expected", "grad"), [
    (lambda x: 2 - x, [1.0, -1.0], [-1.0, -1.0]),
    (lambda x: 2 / x, [2.0, 2 / 3], [-2.0, -2 / 9]),
    (lambda x: 2**x, [2.0, 8.0], [2 * np.log(2), 8 * np.log(2)]),
    (lambda x: -x, [-1.0, -3.0], [-1.0, -1.0]),
    (lambda x: +x, [1.0, 3.0], [1.0, 1.0]),
    (lambda x: abs(-x), [1.0, 3.0], [1.0, 1.0]),
    (lambda x: np.array([1.0, 2.0]) - x, [0.0, -1.0], [-1.0, -1.0]),
    (lambda x: np.array([[1.0, 2.0]]) @ x, [7.0], [1.0, 2.0]),
], ids=["rsub", "rtruediv", "rpow", "neg", "pos", "abs", "ndarray_sub", "ndarray_matmul"])
def test_reflected_and_unary_operators(expression, expected, grad) -> None:
    x = npnn.tensor(np.array([1.0, 3.0]), requires_grad=True)
    out = expression(x)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, grad, rtol=1e-12)


def test_matmul_operator() -> None:
    a, b = npnn.tensor([[1.0, 2.0]]), npnn.tensor([[3.0], [4.0]])
    np.testing.assert_array_equal((a @ b).numpy(), [[11.0]])


@pytest.mark.parametrize("compare", [operator.eq, operator.ne, operator.lt, operator.le,
                                     operator.gt, operator.ge], ids=lambda f: f.__name__)
def test_comparisons_return_boolean_tensors_without_grad(compare) -> None:
    x = npnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for other in (2.0, npnn.tensor([3.0, 2.0, 1.0])):
        out = compare(x, other)
        assert isinstance(out, npnn.Tensor) and out.dtype == np.bool_
        assert not out.requires_grad and out.grad_fn is None
        other_data = other.numpy() if isinstance(other, npnn.Tensor) else other
        np.testing.assert_array_equal(out.numpy(), compare(x.numpy(), other_data))


def test_boolean_tensor_logic() -> None:
    a, b = npnn.tensor([True, False, True]), npnn.tensor([True, True, False])
    assert (a & b).tolist() == [True, False, False]
    assert (a | b).tolist() == [True, True, True]
    assert (~a).tolist() == [False, True, False]
    assert bool(a.any()) and not bool(a.all())
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(a)


def test_detach_and_no_grad_stop_the_graph() -> None:
    x = npnn.tensor([1.0, 2.0], requires_grad=True)
    assert not x.detach().requires_grad
    with npnn.no_grad():
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


# ----- factories -----
@pytest.mark.parametrize(("factory", "value"), [(npnn.zeros, 0.0), (npnn.ones, 1.0)])
def test_zeros_ones(factory, value) -> None:
    for t in (factory(2, 3), factory((2, 3))):
        assert t.shape == (2, 3) and t.dtype == np.float32 and (t.numpy() == value).all()
    assert factory(4, dtype=npnn.int64).dtype == np.int64
    assert factory(2, requires_grad=True).requires_grad


@pytest.mark.parametrize("factory", [npnn.randn, npnn.rand])
def test_random_factories(factory) -> None:
    t = factory(200, 3)
    assert t.shape == (200, 3) and t.dtype == np.float32
    assert factory(2, dtype=npnn.float64).dtype == np.float64
    assert np.unique(t.numpy()).size > 500  # not a constant


def test_rand_is_uniform_unit_interval_and_randn_standard_normal() -> None:
    npnn.manual_seed(3)
    u, z = npnn.rand(10000).numpy(), npnn.randn(10000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.02
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1.0) < 0.05


@pytest.mark.parametrize(("args", "kwargs", "dtype", "values"), [
    ((5,), {}, np.int64, [0, 1, 2, 3, 4]),
    ((1, 7, 2), {}, np.int64, [1, 3, 5]),
    ((0.0, 1.0, 0.25), {}, np.float32, [0.0, 0.25, 0.5, 0.75]),
    ((3.0,), {}, np.float32, [0.0, 1.0, 2.0]),
    ((3,), {"dtype": npnn.float64}, np.float64, [0.0, 1.0, 2.0]),
])
def test_arange_int_vs_float(args, kwargs, dtype, values) -> None:
    t = npnn.arange(*args, **kwargs)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), values)


@pytest.mark.parametrize("source_dtype", [np.float64, np.float32, np.int64])
def test_like_factories_keep_shape_and_dtype(source_dtype) -> None:
    source = npnn.tensor(np.zeros((2, 3), dtype=source_dtype))
    assert (npnn.zeros_like(source).numpy() == 0).all()
    assert (npnn.ones_like(source).numpy() == 1).all()
    assert (npnn.full_like(source, 4).numpy() == 4).all()
    for made in (npnn.zeros_like(source), npnn.ones_like(source), npnn.full_like(source, 4)):
        assert made.shape == (2, 3) and made.dtype == source_dtype
    if source_dtype != np.int64:
        for made in (npnn.randn_like(source), npnn.rand_like(source)):
            assert made.shape == (2, 3) and made.dtype == source_dtype
    assert npnn.zeros_like(source, dtype=npnn.float64).dtype == np.float64
    assert npnn.randn_like(npnn.zeros(2), dtype=npnn.float64).dtype == np.float64


# ----- seeded randomness -----
@pytest.mark.parametrize("draw", [
    lambda: npnn.randn(5, 3),
    lambda: npnn.rand(4),
    lambda: ops.dropout(npnn.ones(20), 0.5),
    lambda: npnn.randint(0, 10, (6,)),
    lambda: npnn.randperm(8),
], ids=["randn", "rand", "dropout", "randint", "randperm"])
def test_manual_seed_reproduces_draws(draw) -> None:
    npnn.manual_seed(42)
    first, second = draw().numpy(), draw().numpy()
    npnn.manual_seed(42)
    np.testing.assert_array_equal(draw().numpy(), first)
    np.testing.assert_array_equal(draw().numpy(), second)
    assert not np.array_equal(first, second)  # the generator moves on between draws


def test_rng_state_round_trip_and_generator() -> None:
    npnn.manual_seed(1)
    state = npnn.get_rng_state()
    a = npnn.randn(3).numpy()
    npnn.set_rng_state(state)
    np.testing.assert_array_equal(npnn.randn(3).numpy(), a)
    g1, g2 = npnn.Generator(5), npnn.Generator(5)
    np.testing.assert_array_equal(npnn.rand(3, generator=g1).numpy(),
                                  npnn.rand(3, generator=g2).numpy())


# ----- conversions and the smaller PyTorch API -----
@pytest.mark.parametrize(("call", "dtype"), [
    (lambda t: t.to(npnn.float64), np.float64),
    (lambda t: t.to(dtype=npnn.float64), np.float64),
    (lambda t: t.to("cpu", np.float64), np.float64),
    (lambda t: t.to(device="cpu"), np.float32),
    (lambda t: t.to("cpu"), np.float32),
    (lambda t: t.to(npnn.zeros(1, dtype=npnn.int64)), np.int64),
    (lambda t: t.type_as(npnn.zeros(1, dtype=npnn.float64)), np.float64),
], ids=["dtype", "dtype_kw", "device_dtype", "device_kw", "device", "other_tensor", "type_as"])
def test_to_accepts_torch_call_forms(call, dtype) -> None:
    t = npnn.tensor([1.0, 2.0], requires_grad=True)
    out = call(t)
    assert out.dtype == dtype and out.device == "cpu"
    if dtype == np.float32:
        assert out is t  # nothing to change: the same tensor, as in PyTorch


def test_to_with_copy_and_differentiable_cast() -> None:
    t = npnn.tensor([1.0, 2.0], requires_grad=True)
    assert t.to("cpu", copy=True) is not t
    t.to(dtype=npnn.float64).sum().backward()
    assert t.grad.dtype == np.float32 and t.grad.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="unknown device"):
        t.to(device="tpu")


def test_new_zeros_t_and_factories_match_torch_conventions() -> None:
    base = npnn.zeros(2, dtype=npnn.float64)
    assert base.new_zeros(3, 2).shape == (3, 2) and base.new_zeros((3,)).dtype == np.float64
    assert npnn.full((2,), 1).dtype == np.int64
    assert npnn.full((2,), True).dtype == np.bool_
    assert npnn.full((2,), 1.5).dtype == np.float32
    assert npnn.empty_like(base).shape == (2,) and npnn.empty_like(base).dtype == np.float64
    assert npnn.is_tensor(base) and npnn.is_tensor(npnn.nn.Parameter(base)) and not npnn.is_tensor([1])


@pytest.mark.parametrize(("args", "kwargs", "low", "high", "shape"), [
    ((10, (6,)), {}, 0, 10, (6,)),
    ((3, 10, (2, 3)), {}, 3, 10, (2, 3)),
    ((5,), {"size": (4,)}, 0, 5, (4,)),
    ((2, 5), {"size": (4,)}, 2, 5, (4,)),
])
def test_randint_forms_as_torch(args, kwargs, low, high, shape) -> None:
    t = npnn.randint(*args, **kwargs)
    assert t.shape == shape and t.dtype == np.int64
    assert low <= t.numpy().min() and t.numpy().max() < high


@pytest.mark.parametrize(("a", "b"), [(7, 2), (-7, 2), (7, -2), (7.5, 2.0), (-7.5, 2.0)])
def test_floor_division_and_modulo_follow_python(a, b) -> None:
    ta, tb = npnn.tensor([a]), npnn.tensor([b])
    assert (ta // tb).item() == a // b and (ta % tb).item() == a % b
    assert (ta // b).item() == a // b and (a % tb).item() == a % b
    assert (ta // tb).dtype == ta.dtype


def test_floor_division_of_a_tensor_needing_grad_is_refused() -> None:
    x = npnn.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="not differentiable"):
        x // 2
    assert (x.detach() % 2).tolist() == [1.0, 1.0]
