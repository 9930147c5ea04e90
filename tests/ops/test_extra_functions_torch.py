"""The rarer PyTorch functions of users' code against torch: the counting and binning ones
(no graph), signbit/heaviside/nan_to_num on special values, the in-place method forms, and
misuse errors with torch's text. (Values and gradients of the differentiable ones are rows of
the op table, op_table_extra.py.)"""

from __future__ import annotations

import numpy as np
import pytest

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")


def _same(ours, theirs) -> None:
    theirs = theirs.detach().numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours.numpy(), theirs)


def _both(fn, *arrays):
    return fn(npnn, *[npnn.tensor(a) for a in arrays]), fn(torch, *[torch.tensor(a) for a in arrays])


RNG = np.random.default_rng(0)
INTS = RNG.integers(0, 7, 30)
FLOATS = RNG.standard_normal(200).astype(np.float32)


@pytest.mark.parametrize("fn", [
    lambda m, x: m.bincount(x),
    lambda m, x: m.bincount(x, minlength=12),
    lambda m, x: m.bincount(x, weights=m.arange(30, dtype=m.float32) / 7),
    lambda m, x: m.bincount(x, weights=m.arange(30, dtype=m.float64) / 7, minlength=3),
    lambda m, x: m.bincount(x, weights=m.arange(30)),
    lambda m, x: x.bincount(),
    lambda m, x: m.bincount(x[:0]),
])
def test_bincount(fn) -> None:
    ours, theirs = _both(fn, INTS)
    assert ours.dtype == theirs.numpy().dtype
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("fn", [
    lambda m, x: m.histc(x),
    lambda m, x: m.histc(x, bins=7, min=-1, max=1),
    lambda m, x: x.histc(5, -0.5, 3),
    lambda m, x: m.histc(x.double(), bins=13),
    lambda m, x: m.histc(x[:2] * 0 + 2, bins=3),
    lambda m, x: m.histc(m.linspace(0, 1, 11), bins=10, min=0, max=1),
])
def test_histc(fn) -> None:
    _same(*_both(fn, FLOATS))


@pytest.mark.parametrize("fn", [
    lambda m, x: m.histogram(x, 6),
    lambda m, x: x.histogram(4, range=(-1.0, 1.0), density=True),
    lambda m, x: m.histogram(x.double(), m.tensor([-2.0, 0.0, 0.5, 3.0], dtype=m.float64),
                             weight=x.double().abs()),
])
def test_histogram(fn) -> None:
    ours, theirs = _both(fn, FLOATS)
    for mine, reference in zip(ours, theirs, strict=True):
        assert mine.dtype == reference.numpy().dtype
        np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=1e-5, atol=1e-7)
    assert ours.hist is ours[0] and ours.bin_edges is ours[1]


BOUNDS = np.array([-1.0, 0.0, 0.0, 0.5, 2.0])
VALUES = np.array([[-2.0, 0.0, 0.5, 0.7], [3.0, -1.0, 1.0, 2.0]])


@pytest.mark.parametrize("fn", [
    lambda m, b, v: m.searchsorted(b, v),
    lambda m, b, v: m.searchsorted(b, v, right=True),
    lambda m, b, v: m.searchsorted(b, v, side="right", out_int32=True),
    lambda m, b, v: m.searchsorted(b, 0.0),
    lambda m, b, v: m.searchsorted(m.stack([b[:4], b[1:]]), v),
    lambda m, b, v: m.searchsorted(b.flip(0), v, sorter=m.arange(4, -1, -1)),
    lambda m, b, v: m.bucketize(v, b),
    lambda m, b, v: m.bucketize(v, b, right=True, out_int32=True),
    lambda m, b, v: m.bucketize(0.5, b),
])
def test_searchsorted_and_bucketize(fn) -> None:
    _same(*_both(fn, BOUNDS, VALUES))


SPECIAL = np.array([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan])


@pytest.mark.parametrize("fn", [
    lambda m, x: m.signbit(x),
    lambda m, x: x.signbit(),
    lambda m, x: m.nan_to_num(x),
    lambda m, x: x.float().nan_to_num(nan=2.0, posinf=9.0),
    lambda m, x: m.nan_to_num(x, neginf=-7.0),
    lambda m, x: m.heaviside(x, m.tensor([0.5], dtype=m.float64)),
    lambda m, x: x.heaviside(m.ones_like(x) * 3),
    lambda m, x: m.signbit(m.tensor([-3, 0, 2])),
    lambda m, x: m.nan_to_num(m.tensor([-3, 0, 2])),
    lambda m, x: m.deg2rad(m.tensor([180, 90])),
    lambda m, x: m.clamp_min(m.tensor([1, 2, 3]), 2),
    lambda m, x: m.clamp_min(m.tensor([1, 2, 3]), 1.5),
    lambda m, x: m.trace(m.arange(9).reshape(3, 3)),
    lambda m, x: m.combinations(m.arange(3), r=4),
    lambda m, x: m.xlogy(m.tensor([0.0, 0.0, 1.0]), m.tensor([0.0, np.nan, 0.0])),
])
def test_special_values_and_integers(fn) -> None:
    _same(*_both(fn, SPECIAL))


def test_nan_to_num_gradient_is_zero_where_not_finite() -> None:
    ours = npnn.tensor(SPECIAL, requires_grad=True)
    theirs = torch.tensor(SPECIAL, requires_grad=True)
    (ours.nan_to_num() * 0.5).sum().backward()
    (theirs.nan_to_num() * 0.5).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


INPLACE = [
    ("clamp_min_", lambda x: x.clamp_min_(0.2)),
    ("clamp_max_", lambda x: x.clamp_max_(0.2)),
    ("index_add_", lambda x: x.index_add_(0, x.new_tensor([2, 0]).long(), x[:2] * 3, alpha=2)),
    ("index_copy_", lambda x: x.index_copy_(1, x.new_tensor([1]).long(), x[:, :1] + 5)),
    ("index_fill_", lambda x: x.index_fill_(1, x.new_tensor([0, 2]).long(), 4.0)),
    ("masked_scatter_", lambda x: x.masked_scatter_(x > 0, x.flatten() * 10)),
    ("nan_to_num_", lambda x: x.nan_to_num_()),
    ("xlogy_", lambda x: x.xlogy_(x.abs() + 1)),
    ("hypot_", lambda x: x.hypot_(x + 1)),
    ("deg2rad_", lambda x: x.deg2rad_()),
    ("rad2deg_", lambda x: x.rad2deg_()),
    ("heaviside_", lambda x: x.heaviside_(x[0].clone())),
]


@pytest.mark.parametrize("name, fn", INPLACE, ids=[n for n, _ in INPLACE])
def test_in_place_forms_change_the_tensor_as_torch(name: str, fn) -> None:
    data = np.random.default_rng(3).standard_normal((3, 3))
    ours, theirs = npnn.tensor(data), torch.tensor(data)
    assert fn(ours) is ours and fn(theirs) is theirs
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_in_place_form_records_the_graph() -> None:
    data = np.random.default_rng(4).standard_normal((3, 4))
    for lib in (npnn, torch):
        leaf = lib.tensor(data, requires_grad=True)
        y = leaf * 2
        y.index_fill_(1, lib.tensor([1]), 0.0).clamp_min_(-0.5)
        y.sum().backward()
        if lib is npnn:
            ours = leaf.grad.numpy()
        else:
            np.testing.assert_array_equal(ours, leaf.grad.numpy())


ERRORS = [
    lambda m: m.bincount(m.tensor([-1, 2])),
    lambda m: m.bincount(m.tensor([[1, 2]])),
    lambda m: m.bincount(m.tensor([1.0])),
    lambda m: m.bincount(m.tensor([1]), minlength=-1),
    lambda m: m.histc(m.tensor([1, 2])),
    lambda m: m.histc(m.tensor([1.0, 2.0]), bins=0),
    lambda m: m.histc(m.tensor([1.0, 2.0]), min=3, max=1),
    lambda m: m.searchsorted(m.tensor([[1, 3], [2, 4]]), m.tensor([2, 3])),
    lambda m: m.bucketize(m.tensor([2.0]), m.tensor([[1.0, 3.0]])),
    lambda m: m.cross(m.randn(2, 4), m.randn(2, 4)),
    lambda m: m.cross(m.randn(3, 4), m.randn(3, 4), dim=1),
    lambda m: m.cross(m.randn(3, 3), m.randn(3, 3, dtype=m.float64), dim=0),
    lambda m: m.rot90(m.randn(3)),
    lambda m: m.rot90(m.randn(3, 3), 1, [0, 0]),
    lambda m: m.rot90(m.randn(3, 3), 1, [0, 1, 2]),
    lambda m: m.flipud(m.tensor(1.0)),
    lambda m: m.fliplr(m.randn(3)),
    lambda m: m.trace(m.randn(3)),
    lambda m: m.combinations(m.randn(2, 2)),
    lambda m: m.cartesian_prod(m.randn(2, 2)),
    lambda m: m.masked_select(m.randn(2, 3), m.ones(3)),
    lambda m: m.masked_scatter(m.randn(2, 3), m.ones(3, dtype=m.bool), m.ones(6, dtype=m.float64)),
    lambda m: m.masked_scatter(m.randn(2, 3), m.ones(3, dtype=m.bool), m.ones(2)),
    lambda m: m.randn(2, 3).index_add(0, m.tensor([0]), m.ones(2, 3)),
    lambda m: m.randn(2, 3).index_add(0, m.tensor([0.0]), m.ones(1, 3)),
    lambda m: m.randn(2, 3).index_fill(0, m.tensor([5]), 1.0),
    lambda m: m.randn(2, 3).index_copy(0, m.tensor([0]), m.ones(1, 3, dtype=m.float64)),
    lambda m: m.hypot(m.tensor([1]), m.tensor([2])),
    lambda m: m.logaddexp(m.tensor([1]), m.tensor([2])),
    lambda m: m.heaviside(m.tensor([1.0]), m.tensor([1.0], dtype=m.float64)),
]


@pytest.mark.parametrize("call", ERRORS)
def test_misuse_raises_as_torch(call) -> None:
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)) as ours:
        call(npnn)
    expected = str(theirs.value).split("\n")[0]
    assert str(ours.value).startswith(expected), (str(ours.value), expected)


def test_edge_cases_as_torch() -> None:
    """A NaN value goes after every boundary; zero-length combinations are an empty 1-D tensor."""
    for lib in (npnn, torch):
        edges, values = lib.tensor([1.0, 2.0, float("nan")]), lib.tensor([float("nan"), 1.5])
        assert lib.searchsorted(edges, values).tolist() == [3, 1]
        assert lib.searchsorted(edges, values, right=True).tolist() == [3, 1]
        assert lib.bucketize(values, lib.tensor([1.0, 2.0])).tolist() == [2, 1]
        assert tuple(lib.combinations(lib.tensor([1.0, 2.0]), r=0).shape) == (0,)


@pytest.mark.parametrize("op, error", [("index_add", RuntimeError), ("index_copy", IndexError)])
def test_a_negative_index_is_refused_as_torch(op: str, error: type) -> None:
    for lib in (npnn, torch):
        x, index, source = lib.zeros(3, 2), lib.tensor([-1]), lib.ones(1, 2)
        with pytest.raises(error, match="index -1 is out of bounds for dimension 0 with size 3"):
            getattr(x, op)(0, index, source)


def test_trace_of_a_bool_matrix_is_refused_as_torch() -> None:
    for lib, error in ((torch, NotImplementedError), (npnn, NotImplementedError)):
        with pytest.raises(error, match="\"trace\" not implemented for 'Bool'"):
            lib.trace(lib.eye(2).bool())
