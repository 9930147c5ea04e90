"""The small tensor-API names added for PyTorch users' code, against torch 2.13: legacy types
(FloatTensor ...), type strings, is_floating_point, isnan & co., the new elementwise ops and
their in-place forms (values, dtypes, errors, version counter), apply_/map_, fill_diagonal_.
Finite-difference gradients: tests/ops/op_table_tensor_api.py."""

from __future__ import annotations

import numpy as np
import pytest

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU is the reference for the tensor API")

LEGACY = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
          "CharTensor", "ByteTensor", "BoolTensor"]


def _np(t: object) -> np.ndarray:
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy()


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_types_match_torch(name: str) -> None:
    ours, theirs = getattr(npnn, name), getattr(torch, name)
    for args in [(), (2, 3), ([1, 0, 2],), ([[1.7, 2.0]],)]:
        a, b = ours(*args), theirs(*args)
        assert a.shape == tuple(b.shape)
        assert a.type() == b.type() == f"torch.{name}"
        assert isinstance(a, ours) and isinstance(a, npnn.Tensor)
        if args and not isinstance(args[0], int):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert ours(npnn.Size([4, 1])).shape == (4, 1)
    other = "DoubleTensor" if name != "DoubleTensor" else "FloatTensor"
    assert not isinstance(ours([1]), getattr(npnn, other))
    with pytest.raises(TypeError, match="sequence"):
        ours(2.5)


def test_tensor_sizes_and_type_conversions() -> None:
    assert npnn.Tensor(2, 3).shape == tuple(torch.Tensor(2, 3).shape)
    assert npnn.Tensor(2, 3).dtype == np.float32 and not npnn.Tensor(2, 3).numpy().any()
    np.testing.assert_array_equal(npnn.Tensor([1, 2]).numpy(), torch.Tensor([1, 2]).numpy())
    x, t = npnn.tensor([1.5, -2.0]), torch.tensor([1.5, -2.0])
    for spec, tspec in [("torch.DoubleTensor", "torch.DoubleTensor"), (npnn.LongTensor, torch.LongTensor),
                        (npnn.float64, torch.float64), ("torch.BoolTensor", "torch.BoolTensor")]:
        a, b = x.type(spec), t.type(tspec)
        assert a.type() == b.type()
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(ValueError, match="invalid type"):
        x.type("foo")
    for dtype, tdtype in [(np.float32, torch.float32), (np.int64, torch.int64), (np.bool_, torch.bool)]:
        a, b = npnn.zeros(2, dtype=dtype), torch.zeros(2, dtype=tdtype)
        assert a.is_floating_point() == b.is_floating_point() == npnn.is_floating_point(a)
        assert a.is_complex() is b.is_complex() is npnn.is_complex(a) is False


def test_isnan_family_matches_torch() -> None:
    values = [0.0, -1.5, float("nan"), float("inf"), -float("inf")]
    for dtype, tdtype in [(np.float32, torch.float32), (np.float64, torch.float64), (np.int64, torch.int64)]:
        data = values if dtype != np.int64 else [0, -3, 7]
        x, t = npnn.tensor(data, dtype=dtype), torch.tensor(data, dtype=tdtype)
        for name in ["isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal"]:
            a, b = getattr(npnn, name)(x), getattr(torch, name)(t)
            assert a.dtype == np.bool_
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
            np.testing.assert_array_equal(getattr(x, name)().numpy(), b.numpy(), err_msg=name)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_new_elementwise_ops_values_and_dtypes(dtype: str) -> None:
    rng = np.random.default_rng(0)
    data = rng.uniform(0.3, 3.0, (3, 4)) * rng.choice([-1, 1], (3, 4))
    data = data.astype(dtype) if dtype != "int64" else np.round(data * 3).astype(dtype) + 20
    x, t = npnn.tensor(data), torch.tensor(data)
    for name in ["sin", "cos", "tan", "floor", "ceil", "round", "rsqrt", "reciprocal"]:
        if name == "rsqrt":
            a, b = npnn.rsqrt(x.abs()), torch.rsqrt(t.abs())
        else:
            a, b = getattr(npnn, name)(x), getattr(torch, name)(t)
        assert str(a.dtype) == str(b.dtype).replace("torch.", ""), name
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, err_msg=name)
    if dtype != "int64":
        np.testing.assert_allclose(x.round(decimals=2).numpy(), t.round(decimals=2).numpy())
    y, s = npnn.tensor(data[:1]), torch.tensor(data[:1])
    np.testing.assert_allclose(npnn.addcmul(x, y, x, value=3).numpy(),
                               torch.addcmul(t, s, t, value=3).numpy(), rtol=1e-6, atol=1e-6)
    if dtype == "int64":
        with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
            npnn.addcdiv(x, y, x)
        with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
            torch.addcdiv(t, s, t)
    else:
        np.testing.assert_allclose(npnn.addcdiv(x, y, x, value=0.5).numpy(),
                                   torch.addcdiv(t, s, t, value=0.5).numpy(), rtol=1e-6)


INPLACE = ["abs_", "exp_", "log_", "log1p_", "sqrt_", "rsqrt_", "neg_", "reciprocal_", "sin_", "cos_",
           "tan_", "floor_", "ceil_", "round_", "trunc_", "frac_", "sign_", "square_"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_unary_values_version_and_int_refusal(name: str) -> None:
    data = np.array([[0.5, 1.7], [2.2, 0.9]], dtype=np.float32)
    x, t = npnn.tensor(data), torch.tensor(data)
    before = x._version
    assert getattr(x, name)() is x and getattr(t, name)() is t
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-6)
    assert x._version == t._version == before + 1
    ti = torch.tensor([1, 2])
    try:
        getattr(ti, name)()
    except RuntimeError as error:
        cast = "can't be cast to the desired output type Long" if "can't be cast" in str(error) else "frac"
        with pytest.raises(RuntimeError, match=cast):
            getattr(npnn.tensor([1, 2]), name)()
    else:
        xi = npnn.tensor([1, 2])
        np.testing.assert_array_equal(getattr(xi, name)().numpy(), ti.numpy())


def test_inplace_on_graph_gradients_and_version_refusal() -> None:
    def run(lib):
        w = lib.tensor([[0.3, -1.2, 0.8]], dtype=lib.float64, requires_grad=True)
        e = lib.tensor([[1.0, 2.0, -0.5]], dtype=lib.float64, requires_grad=True)
        h = w * 2
        h.sin_().pow_(2).lerp_(e, 0.25).addcmul_(w, e, value=0.5).addcdiv_(e, h.detach() + 3)
        h.masked_fill_(h > 1.2, 0.0)
        h.sum().backward()
        return h, w.grad, e.grad
    for a, b in zip(run(npnn), run(torch), strict=True):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12)
    for lib in (npnn, torch):
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            lib.zeros(1, 3).lerp_(lib.ones(2, 3), 0.5)
    for lib in (npnn, torch):  # a value saved for backward that changed in place is refused
        x = lib.tensor([0.5, 1.5], requires_grad=True)
        y = x * 1
        z = y * y
        y.exp_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()
        leaf = lib.tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            leaf.sin_()


def test_apply_map_fill_diagonal_transpose() -> None:
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    x, t = npnn.tensor(data), torch.tensor(data)
    np.testing.assert_array_equal(x.apply_(lambda v: v * v - 1).numpy(),
                                  t.apply_(lambda v: v * v - 1).numpy())
    other, tother = npnn.tensor([1.0, 2.0, 0.5, -1.0]), torch.tensor([1.0, 2.0, 0.5, -1.0])
    np.testing.assert_array_equal(x.map_(other, lambda a, b: a * b + 1).numpy(),
                                  t.map_(tother, lambda a, b: a * b + 1).numpy())
    for lib in (npnn, torch):
        with pytest.raises(RuntimeError, match="apply_"):
            lib.ones(2, requires_grad=True).apply_(lambda v: v)
    for shape, wrap in [((3, 4), False), ((7, 3), False), ((7, 3), True), ((3, 3, 3), False)]:
        a, b = npnn.zeros(*shape), torch.zeros(*shape)
        np.testing.assert_array_equal(a.fill_diagonal_(2.5, wrap=wrap).numpy(),
                                      b.fill_diagonal_(2.5, wrap=wrap).numpy())
    with pytest.raises(RuntimeError, match="dimensions must larger than 1"):
        npnn.zeros(3).fill_diagonal_(1.0)
    y, s = npnn.tensor(data), torch.tensor(data)
    assert y.t_() is y and s.t_() is s
    np.testing.assert_array_equal(y.numpy(), s.numpy())
    np.testing.assert_array_equal(npnn.zeros(2, 3, 4).transpose_(0, 2).shape, (4, 3, 2))


def test_randint_like_matches_torch_shape_dtype_and_range() -> None:
    x, t = npnn.zeros(3, 5), torch.zeros(3, 5)
    for args in [(4,), (2, 9)]:
        a, b = npnn.randint_like(x, *args), torch.randint_like(t, *args)
        assert a.shape == tuple(b.shape) and str(a.dtype) == str(b.dtype).replace("torch.", "")
        low, high = (0, args[0]) if len(args) == 1 else args
        assert low <= a.numpy().min() and a.numpy().max() < high
    assert npnn.randint_like(x, 3, dtype=npnn.int64).dtype == np.int64


def test_clamp_with_tensor_bounds_matches_torch() -> None:
    x0 = np.array([[0.0, 1.0, 2.0, 3.0, 4.0, 2.0], [5.0, -1.0, 3.0, 3.0, 1.0, 0.5]])
    lo0 = np.array([1.0, 1.0, 1.0, 3.5, 3.0, 3.0])
    hi0 = np.array([[3.0, 3.0, 3.0, 2.5, 3.0, 1.0], [4.0, 0.0, 3.0, 3.0, 1.0, 2.0]])
    for bounds in [("lo", "hi"), ("lo", None), (None, "hi")]:
        results = []
        for lib in (npnn, torch):
            x = lib.tensor(x0, requires_grad=True)
            lo = lib.tensor(lo0, requires_grad=True)
            hi = lib.tensor(hi0, requires_grad=True)
            picked = [{"lo": lo, "hi": hi}.get(b) for b in bounds]
            y = lib.clamp(x, *picked)
            (y * lib.tensor(np.arange(12.0).reshape(2, 6))).sum().backward()
            results.append([_np(y), _np(x.grad)] + [_np(b.grad) for b in picked if b is not None])
        for a, b in zip(*results, strict=True):
            np.testing.assert_array_equal(a, b)
    for lib in (npnn, torch):
        with pytest.raises(TypeError, match="clamp"):
            lib.clamp(lib.zeros(2), min=0.5, max=lib.ones(2))


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_factories_take_size_keyword(name: str) -> None:
    for size in [(2, 3), [4], (), npnn.Size([1, 2])]:
        a = getattr(npnn, name)(size=size, dtype=npnn.float64)
        b = getattr(torch, name)(size=tuple(size), dtype=torch.float64)
        assert a.shape == tuple(b.shape) and a.dtype == np.float64
    with pytest.raises(TypeError, match="not both"):
        getattr(npnn, name)(2, size=(2,))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_special_matches_torch_values_and_gradients(dtype: str) -> None:
    x0 = np.array([-2.5, -1.0, -0.2, 0.0, 0.3, 0.9, 2.0, 4.0], dtype=dtype)
    p0 = np.array([0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.999], dtype=dtype)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for name, data, extra in [("expm1", x0, ()), ("exp2", x0, ()), ("logit", p0, ()), ("logit", p0, (0.05,)),
                              ("sinc", x0, ()), ("entr", np.abs(x0) + 0.1, ()), ("ndtr", x0, ()),
                              ("expit", x0, ()), ("erf", x0, ()), ("erfc", x0, ()), ("log1p", p0, ()),
                              ("softmax", x0, (0,)), ("log_softmax", x0, (0,)), ("logsumexp", x0, (0,))]:
        a, b = npnn.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        y, z = getattr(npnn.special, name)(a, *extra), getattr(torch.special, name)(b, *extra)
        weights = np.linspace(-1, 2, y.numel()).reshape(y.shape).astype(dtype)
        (y * npnn.tensor(weights)).sum().backward()
        (z * torch.tensor(weights)).sum().backward()
        assert y.dtype == np.dtype(dtype), name
        np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), rtol=tol, atol=tol, err_msg=name)
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=tol, atol=tol, err_msg=name)
    x, y = np.array([0.0, 0.0, 1.5, -2.0]), np.array([1.0, 2.0, 0.5, np.nan])
    for fn in ("xlog1py", "xlogy"):
        ours = getattr(npnn.special, fn)(npnn.tensor(x), npnn.tensor(y))
        theirs = getattr(torch.special, fn)(torch.tensor(x), torch.tensor(y))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(AttributeError, match=r"scipy\.special\.erfinv"):
        npnn.special.erfinv(npnn.zeros(2))
