"""The PyTorch functions and Tensor methods added for users' code that the op table does not
cover: index-valued and boolean results, result dtypes, layout facts, in-place reshapes and
the errors of common misuse, each against torch where it is installed."""

from __future__ import annotations

import json

import numpy as np
import pytest

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))
INTS = RNG.integers(-3, 4, (3, 4))


def same(ours: npnn.Tensor, theirs: torch.Tensor) -> None:
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == theirs.numpy().dtype, (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name, call", [
    ("cumsum_int", lambda m, x: m.cumsum(x, 0)),
    ("cumsum_bool", lambda m, x: m.cumsum(x > 0, 1)),
    ("cumsum_dtype", lambda m, x: m.cumsum(x, 1, dtype=m.float64)),
    ("cumprod_int", lambda m, x: m.cumprod(x, 1)),
    ("prod_int", lambda m, x: m.prod(x)),
    ("prod_bool_dim", lambda m, x: m.prod(x > -2, 0)),
    ("sign_int", lambda m, x: m.sign(x)),
    ("trunc_int", lambda m, x: m.trunc(x)),
    ("erf_int", lambda m, x: m.erf(x)),
    ("logsumexp_int", lambda m, x: m.logsumexp(x, 1)),
    ("nansum_int", lambda m, x: m.nansum(x)),
    ("nonzero", lambda m, x: m.nonzero(x)),
    ("nonzero_tuple", lambda m, x: m.nonzero(x, as_tuple=True)[1]),
    ("argsort_descending_stable", lambda m, x: m.argsort(x, dim=1, descending=True, stable=True)),
    ("argsort_method", lambda m, x: x.argsort(0)),
    ("count_nonzero", lambda m, x: m.count_nonzero(x, 0)),
    ("count_nonzero_all", lambda m, x: m.count_nonzero(x)),
    ("unique", lambda m, x: m.unique(x)),
    ("unique_inverse", lambda m, x: m.unique(x, return_inverse=True)[1]),
    ("unique_counts", lambda m, x: m.unique(x, return_counts=True)[1]),
    ("unique_dim", lambda m, x: m.unique(m.cat([x, x[:1]]), dim=0)),
    ("repeat_interleave_counts", lambda m, x: m.repeat_interleave(m.tensor([2, 0, 1]))),
    ("isclose", lambda m, x: m.isclose(x.double(), x.double() + 1e-9)),
    ("logical_and", lambda m, x: m.logical_and(x, x > 0)),
    ("logical_or", lambda m, x: m.logical_or(x, x > 0)),
    ("logical_xor", lambda m, x: m.logical_xor(x, x > 0)),
    ("logical_not", lambda m, x: m.logical_not(x)),
    ("fmod_int", lambda m, x: m.fmod(x, 2)),
    ("tril_int", lambda m, x: m.tril(x)),
    ("flip_int", lambda m, x: m.flip(x, [0])),
    ("diff_bool", lambda m, x: m.diff(x > 0)),
    ("cummax_indices", lambda m, x: m.cummax(x, 1).indices),
    ("cummin_indices", lambda m, x: m.cummin(x, 0).indices),
    ("median_indices", lambda m, x: m.median(x * 10 + m.arange(12).reshape(3, 4), 1).indices),
    ("index_select_0d_index", lambda m, x: m.index_select(x, 0, m.tensor(1))),
    ("index_select_0d_input", lambda m, x: m.index_select(x[0, 0], 0, m.tensor([0]))),
    ("outer_int", lambda m, x: m.outer(x[0], x[1])),
])
def test_integer_and_index_results_match_torch(name: str, call) -> None:
    same(call(npnn, npnn.tensor(INTS)), call(torch, torch.tensor(INTS)))


def test_isclose_nan_and_tolerances() -> None:
    a = np.array([1.0, np.nan, 1e-9, 100.0])
    b = np.array([1.0 + 1e-6, np.nan, 0.0, 100.1])
    for kwargs in ({}, {"equal_nan": True}, {"rtol": 1e-2, "atol": 0.0}):
        same(npnn.isclose(npnn.tensor(a), npnn.tensor(b), **kwargs),
             torch.isclose(torch.tensor(a), torch.tensor(b), **kwargs))
    with pytest.raises(RuntimeError):
        npnn.isclose(npnn.tensor(a), npnn.tensor(b).float())


def test_layout_facts_match_torch() -> None:
    ours, theirs = npnn.tensor(X.astype(np.float32)), torch.tensor(X).float()
    assert ours.stride() == theirs.stride() and ours.stride(1) == theirs.stride(1)
    assert ours.t().stride() == theirs.t().stride()
    assert ours.is_contiguous() and not ours.t().is_contiguous()
    assert ours.t().contiguous().is_contiguous() and ours.contiguous() is ours
    assert (ours.element_size(), ours.itemsize, ours.nbytes) == (
        theirs.element_size(), theirs.itemsize, theirs.nbytes)
    assert ours[1].data_ptr() - ours.data_ptr() == 4 * ours.element_size()


def test_squeeze_and_unsqueeze_in_place() -> None:
    x = npnn.zeros(2, 1, 3)
    version = x._version
    assert x.squeeze_(1) is x and x.shape == (2, 3) and x._version == version + 1
    assert x.unsqueeze_(0).shape == (1, 2, 3)
    w = npnn.ones(2, 1, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.squeeze_()
    h = w * 3  # a non-leaf: the gradient flows through the in-place reshape
    h.unsqueeze_(0)
    assert h.shape == (1, 2, 1)
    (h * npnn.tensor([[[1.0], [2.0]]])).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[3.0], [6.0]])


def test_scatter_add_in_place_bumps_the_version() -> None:
    x = npnn.zeros(5)
    x.scatter_add_(0, npnn.tensor([1, 1, 3]), npnn.ones(3))
    np.testing.assert_array_equal(x.numpy(), [0, 2, 0, 1, 0])
    assert x._version == 1


@pytest.mark.parametrize("call", [
    lambda x: x.flip(dims=[0]), lambda x: x.flip(0, 1), lambda x: x.flip([1]), lambda x: x.tile(dims=(2,)),
    lambda x: x.tile(2, 1, 1), lambda x: x.roll(shifts=1, dims=0), lambda x: x.cumsum(dim=1),
    lambda x: x.tril(diagonal=-1), lambda x: x.narrow(dim=1, start=1, length=2),
    lambda x: x.movedim(source=0, destination=1), lambda x: x.logsumexp(dim=-1),
    lambda x: x.repeat_interleave(repeats=2, dim=1), lambda x: x.diagonal(offset=1, dim1=1, dim2=0),
    lambda x: x.prod(dim=1, keepdim=True), lambda x: x.lerp(end=x * 2, weight=0.25),
])
def test_methods_take_torch_keywords(call) -> None:
    same(call(npnn.tensor(X.astype(np.float32))), call(torch.tensor(X.astype(np.float32))))


def test_unique_flags_return_tuples_in_torch_order() -> None:
    data = [3, 1, 3, 2, 1]
    values, inverse, counts = npnn.tensor(data).unique(return_inverse=True, return_counts=True)
    t_values, t_inverse, t_counts = torch.tensor(data).unique(return_inverse=True, return_counts=True)
    same(values, t_values), same(inverse, t_inverse), same(counts, t_counts)


def test_split_and_view_shapes_match_torch() -> None:
    ours, theirs = npnn.arange(10), torch.arange(10)
    for spec in (3, 4, [2, 5], [7, 3]):
        expected = [p.tolist() for p in theirs.tensor_split(spec)]
        assert [p.tolist() for p in ours.tensor_split(spec)] == expected
    a, b = npnn.atleast_3d(npnn.tensor(1.0), npnn.ones(2, 3))
    assert (a.shape, b.shape) == (tuple(torch.atleast_3d(torch.tensor(1.0)).shape), (2, 3, 1))
    assert npnn.atleast_1d(npnn.tensor(2.0)).shape == (1,)
    grids = npnn.meshgrid(npnn.arange(2), npnn.arange(3), npnn.arange(4), indexing="xy")
    t_grids = torch.meshgrid(torch.arange(2), torch.arange(3), torch.arange(4), indexing="xy")
    for g, t in zip(grids, t_grids, strict=True):
        same(g, t)


def test_creation_and_dtype_info_match_torch() -> None:
    same(npnn.logspace(0, 2, 5), torch.logspace(0, 2, 5))
    same(npnn.logspace(0, 3, 4, base=2.0, dtype=npnn.float64), torch.logspace(0, 3, 4, base=2.0,
                                                                               dtype=torch.float64))
    assert npnn.finfo().eps == torch.finfo().eps
    assert npnn.finfo(npnn.float64).max == torch.finfo(torch.float64).max
    assert npnn.finfo(npnn.float16).tiny == torch.finfo(torch.float16).tiny
    assert npnn.iinfo(npnn.int32).max == torch.iinfo(torch.int32).max
    assert npnn.numel(npnn.zeros(2, 3)) == 6
    source = np.arange(3.0)
    shared = npnn.asarray(source)
    assert np.shares_memory(shared.numpy(), source) and shared.dtype == np.float64
    assert not np.shares_memory(npnn.asarray(source, copy=True).numpy(), source)
    with pytest.raises(ValueError):
        npnn.asarray(source, dtype=npnn.float32, copy=False)
    assert npnn.asarray([1, 2], requires_grad=False).dtype == np.int64


@pytest.mark.parametrize("call, error", [
    (lambda m: m.bmm(m.ones(2, 3), m.ones(2, 3, 4)), RuntimeError),
    (lambda m: m.bmm(m.ones(2, 3, 4), m.ones(3, 4, 5)), RuntimeError),
    (lambda m: m.mm(m.ones(2, 3), m.ones(3)), RuntimeError),
    (lambda m: m.outer(m.ones(2, 2), m.ones(3)), RuntimeError),
    (lambda m: m.addmm(m.ones(3, 3), m.ones(2, 3), m.ones(3, 4)), RuntimeError),
    (lambda m: m.tril(m.ones(3)), RuntimeError),
    (lambda m: m.diag(m.ones(2, 2, 2)), RuntimeError),
    (lambda m: m.diagonal(m.ones(3, 3), 0, 1, 1), RuntimeError),
    (lambda m: m.narrow(m.ones(4), 0, 2, 3), RuntimeError),
    (lambda m: m.index_select(m.ones(4), 0, m.tensor([[0]])), IndexError),
    (lambda m: m.index_select(m.ones(4), 0, m.tensor([4])), IndexError),
    (lambda m: m.index_select(m.ones(4), 0, m.tensor([0.0])), RuntimeError),
    (lambda m: m.roll(m.ones(4), (1, 2), (0,)), RuntimeError),
    (lambda m: m.flip(m.ones(2, 2), (0, 0)), RuntimeError),
    (lambda m: m.movedim(m.ones(2, 2), (0, 1), (0,)), RuntimeError),
    (lambda m: m.cumsum(m.ones(2), 1), IndexError),
    (lambda m: m.repeat_interleave(m.ones(3), m.tensor([1, 2])), RuntimeError),
    (lambda m: m.einsum("ij,jk->ik", m.ones(2, 3)), (RuntimeError, ValueError)),
    (lambda m: m.einsum("ij->ij", m.ones(2, 3, 4)), RuntimeError),
    (lambda m: m.einsum("ii->i", m.ones(2, 3)), RuntimeError),
    (lambda m: m.tensor_split(m.ones(3), 0), RuntimeError),
    (lambda m: m.unflatten(m.ones(2, 6), 1, (4, 2)), RuntimeError),
    (lambda m: m.meshgrid(m.ones(2), indexing="yx"), RuntimeError),
    (lambda m: m.frac(m.tensor([1, 2])), RuntimeError),
    (lambda m: m.diff(m.tensor(1.0)), RuntimeError),
])
def test_misuse_raises_as_torch(call, error) -> None:
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error):
        call(npnn)


@pytest.mark.parametrize("call", [
    lambda m: m.outer(m.arange(3), m.tensor([1.0, 0.5])),
    lambda m: m.outer(m.tensor([1.0, 0.5]), m.tensor([1.0, 2.0, 3.0], dtype=m.float64)),
    lambda m: m.arange(3).outer(m.tensor([1.0, 0.5])),
    lambda m: m.ger(m.arange(3), m.tensor([2.0])),
    lambda m: m.addmv(m.ones(2), m.ones(2, 3), m.arange(3.0), beta=0.5, alpha=2),
    lambda m: m.ones(2).addmv(m.ones(2, 3), m.arange(3.0)),
    lambda m: m.einsum("i,j->ij", m.arange(3), m.tensor([1.0, 0.5])),  # no contraction: promotes
    lambda m: m.einsum("ij,ij->ij", m.ones(2, 2), m.ones(2, 2, dtype=m.float64)),
])
def test_outer_promotes_and_addmv_exported_as_torch(call) -> None:
    same(call(npnn), call(torch))


@pytest.mark.parametrize("call", [
    lambda m: m.mm(m.ones(2, 2), m.ones(2, 2, dtype=m.float64)),
    lambda m: m.mm(m.ones(2, 2, dtype=m.int64), m.ones(2, 2)),
    lambda m: m.bmm(m.ones(1, 2, 2), m.ones(1, 2, 2, dtype=m.float64)),
    lambda m: m.mv(m.ones(2, 2), m.ones(2, dtype=m.float64)),
    lambda m: m.dot(m.arange(2), m.ones(2)),
    lambda m: m.addmm(m.ones(2, 2, dtype=m.float64), m.ones(2, 2), m.ones(2, 2)),
    lambda m: m.addmv(m.arange(2), m.ones(2, 2), m.ones(2)),
    lambda m: m.baddbmm(m.ones(1, 2, 2, dtype=m.float64), m.ones(1, 2, 2), m.ones(1, 2, 2)),
    lambda m: m.cdist(m.ones(2, 2), m.ones(2, 2, dtype=m.float64)),
    lambda m: m.cdist(m.ones(2, 2, dtype=m.int64), m.ones(2, 2, dtype=m.int64)),
    lambda m: m.einsum("ij,jk->ik", m.ones(2, 2), m.ones(2, 2, dtype=m.float64)),
    lambda m: m.einsum("bij,bij->b", m.ones(1, 2, 2, dtype=m.int64), m.ones(1, 2, 2)),
])
def test_products_refuse_mixed_dtypes_as_torch(call) -> None:
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError):
        call(npnn)


def test_beta_zero_ignores_nan_input_as_torch() -> None:
    nan = np.full((2, 2), np.nan)
    ours = npnn.addmm(npnn.tensor(nan).float(), npnn.ones(2, 3), npnn.ones(3, 2), beta=0)
    theirs = torch.addmm(torch.tensor(nan).float(), torch.ones(2, 3), torch.ones(3, 2), beta=0)
    same(ours, theirs)


def test_set_printoptions_as_torch() -> None:
    data = [1.23456, 2.0, 1e-6]
    try:
        for kwargs in ({"precision": 2}, {"sci_mode": True}, {"profile": "short"}, {"sci_mode": False}):
            npnn.set_printoptions(**kwargs)
            torch.set_printoptions(**kwargs)
            assert repr(npnn.tensor(data)) == repr(torch.tensor(data))
        npnn.set_printoptions(threshold=5, edgeitems=2)
        assert repr(npnn.arange(10.0)) == "tensor([0., 1., ..., 8., 9.])"
        with pytest.raises(ValueError):
            npnn.set_printoptions(profile="long")
    finally:
        npnn.set_printoptions(profile="default")
        torch.set_printoptions(profile="default", sci_mode=None)
    assert repr(npnn.tensor(data)) == repr(torch.tensor(data))


def _values_and_grad(m, call, data):
    """The result's values (and indices) and the input's gradient of their sum, NaN -> 0 in the
    sum so the gradient is defined."""
    x = m.tensor(data, dtype=m.float32, requires_grad=True)
    out = call(m, x)
    values, indices = (out, None) if isinstance(out, (npnn.Tensor, torch.Tensor)) else out
    (values * (values == values)).sum().backward()  # NaN entries get weight 0
    extra = [] if indices is None else [indices.tolist()]
    return [values.detach().numpy().tolist(), *extra], x.grad.numpy()


NAN = float("nan")


@pytest.mark.parametrize("call, data", [
    (lambda m, x: x.median(1), [[1, NAN, 3], [1, 2, 3]]),
    (lambda m, x: m.median(x, 0), [3, NAN, 1, NAN, 2, NAN]),
    (lambda m, x: m.median(x), [1, NAN, 3]),
    (lambda m, x: m.median(x), [1, 2, 2, 2, 3]),  # the gradient split over the tied elements
    (lambda m, x: m.median(x * 1), [[2, 2], [1, 5]]),
    (lambda m, x: m.cummax(x, 0), [1, NAN, 3, NAN, 0]),
    (lambda m, x: m.cummin(x, 0), [NAN, NAN, 1]),
    (lambda m, x: x.cummax(1), [[1, NAN, 3, 0], [0, 2, 2, 1]]),
])
def test_median_and_running_extremes_with_nan_and_ties_as_torch(call, data) -> None:
    ours, our_grad = _values_and_grad(npnn, call, data)
    theirs, their_grad = _values_and_grad(torch, call, data)
    np.testing.assert_equal(ours, theirs)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-6)


def test_median_without_dim_splits_the_gradient_over_ties_and_nans() -> None:
    x = npnn.tensor([1.0, NAN, NAN, 3.0], requires_grad=True)
    npnn.median(x).backward()
    t = torch.tensor([1.0, NAN, NAN, 3.0], requires_grad=True)
    torch.median(t).backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("kwargs", [{}, {"correction": 0}, {"unbiased": False}, {"keepdim": True}])
@pytest.mark.parametrize("call", [
    lambda m, x, kw: m.std(x, 1, **kw) + x.mean(1, keepdim=kw.get("keepdim", False)),
    lambda m, x, kw: sum(m.std_mean(x, 1, **kw)),
    lambda m, x, kw: m.var(x, 1, **kw),
    lambda m, x, kw: x[:1].std(**{k: v for k, v in kw.items() if k != "keepdim"}),  # all equal
])
def test_std_gradient_is_zero_on_a_constant_slice_as_torch(call, kwargs) -> None:
    data = [[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]]
    grads = []
    for m in (npnn, torch):
        x = m.tensor(data, requires_grad=True)
        call(m, x, kwargs).sum().backward()
        grads.append(x.grad.numpy())
    assert not np.isnan(grads[0]).any()
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


def test_small_semantics_as_torch() -> None:
    """sign(nan) is 0; finfo's facts are Python floats; int // 0 and % 0 raise; the method
    broadcast_to takes separate ints."""
    for m in (npnn, torch):
        same_sign = m.sign(m.tensor([NAN, -2.0, 0.0, 3.0]))
        assert same_sign.tolist() == [0.0, -1.0, 0.0, 1.0]
        info = m.finfo(m.float16)
        assert json.loads(json.dumps([info.eps, info.max, info.min, info.tiny, info.resolution]))
        for call in (lambda m: m.tensor([3, 4]) // m.tensor([1, 0]),
                     lambda m: m.remainder(m.tensor([3]), 0),
                     lambda m: m.floor_divide(m.tensor([3]), m.tensor(0))):
            with pytest.raises(RuntimeError, match="ZeroDivisionError"):
                call(m)
        assert tuple(m.ones(3, 4).broadcast_to(2, 3, 4).shape) == (2, 3, 4)
    ours, theirs = npnn.finfo(npnn.float16), torch.finfo(torch.float16)
    assert (ours.eps, ours.max, ours.min, ours.tiny, ours.resolution, ours.bits, ours.dtype) == \
        (theirs.eps, theirs.max, theirs.min, theirs.tiny, theirs.resolution, theirs.bits, theirs.dtype)
    assert repr(npnn.finfo(npnn.float32)) == repr(torch.finfo(torch.float32))


def test_multinomial_without_replacement_takes_zero_weights_last_as_torch() -> None:
    ours = npnn.multinomial(npnn.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]), 3)
    theirs = torch.multinomial(torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]), 3)
    assert ours[:, 0].tolist() == theirs[:, 0].tolist() == [0, 2]  # the only non-zero weight first
    assert [sorted(row) for row in ours.tolist()] == [sorted(row) for row in theirs.tolist()]


def test_addmm_beta_zero_gives_input_a_zero_gradient_as_torch() -> None:
    grads = []
    for m in (npnn, torch):
        bias = m.tensor([NAN, 1.0], requires_grad=True)
        mat = m.ones(2, 2, requires_grad=True)
        out = m.addmm(bias, mat, mat, beta=0)
        out.sum().backward()
        grads.append((out.tolist(), bias.grad.tolist(), mat.grad.tolist()))
    assert grads[0] == grads[1]
