"""bernoulli, multinomial, normal and the fills normal_/uniform_/bernoulli_: shapes, dtypes,
seeding (npnn.manual_seed and generator=), distributions checked statistically with wide
bounds, in-place bookkeeping, and the errors of misuse."""

from __future__ import annotations

import numpy as np
import pytest

import npnn


def test_manual_seed_and_generator_make_draws_repeatable() -> None:
    draws = []
    for _ in range(2):
        npnn.manual_seed(7)
        draws.append((npnn.empty(5).normal_().numpy(), npnn.bernoulli(npnn.full((6,), 0.5)).numpy(),
                      npnn.multinomial(npnn.ones(4), 2).numpy(), npnn.normal(0.0, 1.0, (3,)).numpy()))
    for first, second in zip(*draws, strict=True):
        np.testing.assert_array_equal(first, second)
    a = npnn.empty(4).uniform_(generator=npnn.Generator(3))
    b = npnn.empty(4).uniform_(generator=npnn.Generator(3))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    npnn.manual_seed(7)
    c = npnn.empty(4).uniform_()
    assert not np.array_equal(a.numpy(), c.numpy())


def test_normal_fill_statistics_dtype_and_version() -> None:
    npnn.manual_seed(0)
    w = npnn.empty(200, 100)
    assert w.normal_(0.5, 0.02) is w and w.dtype == np.float32 and w._version == 1
    values = w.numpy()
    assert abs(values.mean() - 0.5) < 0.001 and abs(values.std() - 0.02) < 0.001
    d = npnn.empty(1000, dtype=npnn.float64).normal_()
    assert d.dtype == np.float64 and abs(d.numpy().std() - 1) < 0.1


def test_uniform_fill_bounds_and_torch_keywords() -> None:
    npnn.manual_seed(1)
    u = npnn.empty(10_000).uniform_(-2.0, 3.0)
    assert u.numpy().min() >= -2.0 and u.numpy().max() < 3.0 and abs(u.numpy().mean() - 0.5) < 0.1
    v = npnn.empty(10_000).uniform_(**{"from": 1.0, "to": 2.0})
    assert v.numpy().min() >= 1.0 and v.numpy().max() < 2.0
    with pytest.raises(RuntimeError, match=r"from=1\.0 > to=0\.0"):
        npnn.empty(3).uniform_(1.0, 0.0)
    with pytest.raises(RuntimeError, match=r"std >= 0\.0"):
        npnn.empty(3).normal_(0.0, -1.0)


def test_fills_follow_pytorch_autograd_rules() -> None:
    model = npnn.nn.Linear(3, 2)
    model.weight.data.normal_(0.0, 0.02)  # DCGAN's weights_init
    assert abs(model.weight.numpy()).max() < 0.2 and model.weight.requires_grad
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        model.weight.normal_()
    with npnn.no_grad():
        model.bias.uniform_(-1, 1)
    x = npnn.ones(3, requires_grad=True)
    y = x * 2
    y.normal_()  # the old values no longer matter: x gets gradient 0, as in PyTorch
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))


def test_bernoulli_probabilities_shape_and_dtype() -> None:
    npnn.manual_seed(2)
    p = npnn.tensor([0.0, 0.2, 0.9, 1.0]).expand(20_000, 4)
    draws = npnn.bernoulli(p)
    assert draws.shape == (20_000, 4) and draws.dtype == np.float32 and not draws.requires_grad
    np.testing.assert_allclose(draws.numpy().mean(axis=0), [0.0, 0.2, 0.9, 1.0], atol=0.02)
    assert set(np.unique(draws.numpy())) <= {0.0, 1.0}
    half = npnn.zeros(20_000, dtype=npnn.float64).bernoulli(0.3)
    assert half.dtype == np.float64 and abs(half.numpy().mean() - 0.3) < 0.02
    filled = npnn.empty(20_000).bernoulli_(0.7)
    assert abs(filled.numpy().mean() - 0.7) < 0.02 and filled._version == 1
    with pytest.raises(RuntimeError, match="p_in >= 0"):
        npnn.bernoulli(npnn.tensor([1.5]))


def test_multinomial_with_replacement_follows_the_weights() -> None:
    npnn.manual_seed(3)
    weights = npnn.tensor([[1.0, 0.0, 3.0], [0.0, 2.0, 2.0]])
    samples = weights.multinomial(20_000, replacement=True)
    assert samples.shape == (2, 20_000) and samples.dtype == np.int64
    shares = np.stack([np.bincount(row, minlength=3) for row in samples.numpy()]) / 20_000
    np.testing.assert_allclose(shares, [[0.25, 0.0, 0.75], [0.0, 0.5, 0.5]], atol=0.02)


def test_multinomial_without_replacement_draws_each_category_once() -> None:
    npnn.manual_seed(4)
    weights = npnn.tensor([5.0, 1.0, 1.0, 1.0, 0.0])
    firsts = []
    for _ in range(2000):
        sample = npnn.multinomial(weights, 4).numpy()
        assert sorted(sample) == [0, 1, 2, 3]  # distinct, never the zero-weight category
        firsts.append(sample[0])
    assert abs(np.mean(np.array(firsts) == 0) - 5 / 8) < 0.04
    with pytest.raises(RuntimeError, match="without replacement"):
        npnn.multinomial(weights, 6)
    assert npnn.multinomial(weights, 5)[4].item() == 4  # the zero weight last, as PyTorch's
    with pytest.raises(RuntimeError, match="element < 0"):
        npnn.multinomial(npnn.tensor([1.0, -1.0]), 1)
    with pytest.raises(RuntimeError, match="sum of probabilities <= 0"):
        npnn.multinomial(npnn.zeros(3), 1, replacement=True)
    with pytest.raises(RuntimeError, match="1 or 2 dim"):
        npnn.multinomial(npnn.ones(2, 2, 2), 1)


def test_normal_overloads_shapes_dtypes_and_statistics() -> None:
    npnn.manual_seed(5)
    mean = npnn.tensor([0.0, 10.0, -5.0], dtype=npnn.float64)
    draws = npnn.stack([npnn.normal(mean, 0.5) for _ in range(4000)])
    assert draws.dtype == np.float64 and draws.shape == (4000, 3)
    np.testing.assert_allclose(draws.numpy().mean(axis=0), [0.0, 10.0, -5.0], atol=0.05)
    np.testing.assert_allclose(draws.numpy().std(axis=0), 0.5, atol=0.03)
    std = npnn.tensor([[1.0], [3.0]])
    both = npnn.normal(npnn.zeros(2, 5000), std)
    assert both.dtype == np.float32 and both.shape == (2, 5000)
    np.testing.assert_allclose(both.numpy().std(axis=1), [1.0, 3.0], rtol=0.06)
    sized = npnn.normal(2.0, 3.0, size=(4, 5000))
    assert sized.shape == (4, 5000) and sized.dtype == np.float32
    assert abs(sized.numpy().mean() - 2.0) < 0.1 and abs(sized.numpy().std() - 3.0) < 0.1
    with pytest.raises(TypeError):
        npnn.normal(0.0, 1.0)
    with pytest.raises(RuntimeError, match=r"std >= 0\.0"):
        npnn.normal(npnn.zeros(3), -1.0)


def test_samples_give_their_parameters_gradient_zero_as_torch() -> None:
    mean = npnn.zeros(3, requires_grad=True)
    std = npnn.ones(3, requires_grad=True)
    p = npnn.full((3,), 0.5, requires_grad=True)
    out = npnn.normal(mean, std) + npnn.bernoulli(p)
    assert out.requires_grad
    out.sum().backward()
    for t in (mean, std, p):
        np.testing.assert_array_equal(t.grad.numpy(), np.zeros(3))
    with npnn.no_grad():
        assert not npnn.normal(mean, 1.0).requires_grad


def test_dtypes_and_errors_match_torch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
    pairs = [
        (lambda m: m.bernoulli(m.full((3,), 0.5, dtype=m.float64)), None),
        (lambda m: m.multinomial(m.ones(2, 3), 2), None),
        (lambda m: m.normal(m.zeros(2, dtype=m.float64), 1.0), None),
        (lambda m: m.normal(0.0, m.ones(3)), None),
        (lambda m: m.normal(0.0, 1.0, (2, 3)), None),
        (lambda m: m.multinomial(m.ones(3), 4), RuntimeError),
        (lambda m: m.multinomial(m.tensor([1.0, float("nan")]), 1), RuntimeError),
        (lambda m: m.bernoulli(m.tensor([-0.1])), RuntimeError),
    ]
    for call, error in pairs:
        if error is not None:
            with pytest.raises(error):
                call(torch)
            with pytest.raises(error):
                call(npnn)
            continue
        ours, theirs = call(npnn), call(torch)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == theirs.numpy().dtype
