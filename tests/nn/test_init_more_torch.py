"""The rarer initializers (trunc_normal_, eye_, dirac_, orthogonal_, sparse_ and the deprecated
names without the underscore) against torch.nn.init: exact where deterministic, seeded
statistics where drawn."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import npnn
from npnn.nn import init

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")


def _truncated_moments(mean: float, std: float, a: float, b: float) -> tuple[float, float]:
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    m = mean + std * (pdf(alpha) - pdf(beta)) / z
    var = std**2 * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - ((pdf(alpha) - pdf(beta)) / z) ** 2)
    return m, math.sqrt(var)


def test_erfinv_matches_torch() -> None:
    y = np.concatenate([np.linspace(-0.999999, 0.999999, 2001), [1e-12, -1e-12, 0.0]])
    expected = torch.erfinv(torch.tensor(y)).numpy()
    np.testing.assert_allclose(init._erfinv(y), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -2.0, 2.0),
                                              (1.0, 2.0, 0.0, 3.0), (0.0, 1.0, 1.5, 4.0)])
@pytest.mark.parametrize("dtype", [npnn.float32, npnn.float64])
def test_trunc_normal_bounds_and_moments(mean: float, std: float, a: float, b: float, dtype) -> None:
    weight = npnn.empty(200, 500, dtype=dtype)
    out = init.trunc_normal_(weight, mean, std, a, b, generator=npnn.Generator(3))
    assert out is weight and weight.dtype == dtype
    values = weight.numpy().astype(np.float64)
    assert values.min() >= a and values.max() <= b
    m, s = _truncated_moments(mean, std, a, b)
    # 100k draws: the sample mean is within 5 standard errors
    assert abs(values.mean() - m) < 5 * s / math.sqrt(values.size)
    assert values.std() == pytest.approx(s, rel=0.02)
    reference = torch.nn.init.trunc_normal_(torch.empty(200, 500, dtype=torch.float64), mean, std, a, b,
                                            generator=torch.Generator().manual_seed(3)).numpy()
    assert values.std() == pytest.approx(reference.std(), rel=0.02)


def test_trunc_normal_is_seeded_and_defaults_match_torch() -> None:
    npnn.manual_seed(0)
    first = init.trunc_normal_(npnn.empty(50)).numpy().copy()
    npnn.manual_seed(0)
    assert np.array_equal(init.trunc_normal_(npnn.empty(50)).numpy(), first)
    assert np.abs(first).max() <= 2.0

    ours = inspect.signature(init.trunc_normal_).parameters
    theirs = inspect.signature(torch.nn.init.trunc_normal_).parameters
    assert [(p.name, p.default) for p in ours.values()] == [(p.name, p.default) for p in theirs.values()]


def test_trunc_normal_warns_as_torch_when_mean_is_far() -> None:
    with pytest.warns(UserWarning, match="more than 2 std"):
        init.trunc_normal_(npnn.empty(10), mean=10.0, a=-1.0, b=1.0)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
def test_eye_matches_torch(shape: tuple[int, int]) -> None:
    weight = npnn.full(shape, 7.0)
    init.eye_(weight)
    assert np.array_equal(weight.numpy(), torch.nn.init.eye_(torch.full(shape, 7.0)).numpy())


@pytest.mark.parametrize("shape, groups", [((4, 4, 3), 1), ((6, 3, 3, 3), 2), ((2, 5, 3, 4), 1),
                                           ((8, 2, 3, 3, 3), 4), ((4, 2, 2, 2), 2)])
def test_dirac_matches_torch(shape: tuple[int, ...], groups: int) -> None:
    weight = npnn.full(shape, 7.0)
    init.dirac_(weight, groups)
    assert np.array_equal(weight.numpy(), torch.nn.init.dirac_(torch.full(shape, 7.0), groups).numpy())


def test_dirac_keeps_the_input_through_a_convolution() -> None:
    x = npnn.randn(2, 3, 5, 5)
    conv = npnn.nn.Conv2d(3, 3, 3, padding=1, bias=False)
    init.dirac_(conv.weight)
    np.testing.assert_allclose(conv(x).detach().numpy(), x.numpy(), atol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda: init.eye_(npnn.empty(3)), "Only tensors with 2 dimensions are supported"),
    (lambda: init.dirac_(npnn.empty(3, 3)), "Only tensors with 3, 4, or 5 dimensions are supported"),
    (lambda: init.dirac_(npnn.empty(3, 3, 3), 2), "dim 0 must be divisible by groups"),
    (lambda: init.orthogonal_(npnn.empty(3)), "Only tensors with 2 or more dimensions are supported"),
    (lambda: init.sparse_(npnn.empty(3, 3, 3), 0.5), "Only tensors with 2 dimensions are supported"),
])
def test_misuse_raises_torch_text(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3, 3), (6, 6)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_is_orthogonal(shape: tuple[int, ...], gain: float) -> None:
    weight = npnn.empty(*shape, dtype=npnn.float64)
    init.orthogonal_(weight, gain, generator=npnn.Generator(1))
    flat = weight.numpy().reshape(shape[0], -1)
    small = min(flat.shape)
    gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(gram, gain**2 * np.eye(small), atol=1e-12)
    theirs = torch.nn.init.orthogonal_(torch.empty(*shape, dtype=torch.float64), gain).reshape(shape[0], -1)
    gram_t = theirs @ theirs.T if flat.shape[0] == small else theirs.T @ theirs
    np.testing.assert_allclose(gram_t.numpy(), gram, atol=1e-12)


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.5, 1.0])
def test_sparse_zeros_per_column_as_torch(sparsity: float) -> None:
    weight = npnn.empty(40, 300)
    init.sparse_(weight, sparsity, std=0.5, generator=npnn.Generator(2))
    theirs = torch.nn.init.sparse_(torch.empty(40, 300), sparsity, std=0.5).numpy()
    ours = weight.numpy()
    assert np.array_equal((ours == 0).sum(axis=0), (theirs == 0).sum(axis=0))
    if sparsity < 1:
        assert ours[ours != 0].std() == pytest.approx(0.5, rel=0.05)


@pytest.mark.parametrize("name", ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform",
                                  "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal",
                                  "sparse"])
def test_deprecated_names_warn_and_work_as_torch(name: str) -> None:
    assert hasattr(torch.nn.init, name)
    args = {"constant": (0.5,), "sparse": (0.5,)}.get(name, ())
    shape = (2, 3, 3) if name == "dirac" else (3, 4)
    with pytest.warns(FutureWarning, match=f"nn.init.{name}_"):
        out = getattr(init, name)(npnn.zeros(*shape), *args)
    assert out.shape == shape
    if name == "constant":
        assert np.all(out.numpy() == 0.5)
