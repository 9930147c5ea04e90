"""Numerics the op table cannot show: extreme logits, dtype rules for Python scalars and
integers, tie handling that differs from PyTorch by design, dropout masks, nan variance."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import npnn
from npnn import ops
from npnn.autograd.gradcheck import gradcheck

pytestmark = pytest.mark.filterwarnings("error")  # overflow or invalid-value warnings fail

FLOATS = [np.float32, np.float64]
BIG = [[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]]


def _leaf(data, dtype) -> npnn.Tensor:
    return npnn.tensor(np.asarray(data, dtype=dtype), requires_grad=True)


@pytest.mark.parametrize("dtype", FLOATS)
def test_log_softmax_of_huge_logits_is_exact(dtype) -> None:
    x = _leaf(BIG, dtype)
    out = ops.log_softmax(x, 1)
    np.testing.assert_array_equal(out.numpy(), [[0.0, -2e4, -1e4], [-2e4, -2e4, 0.0]])
    out.backward(npnn.ones_like(out))
    # d/dx Σ log_softmax = 1 - C · softmax
    np.testing.assert_array_equal(x.grad, [[-2.0, 1.0, 1.0], [1.0, 1.0, -2.0]])


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_of_huge_logits_is_one_hot(dtype) -> None:
    x = _leaf(BIG, dtype)
    out = ops.softmax(x, -1)
    np.testing.assert_array_equal(out.numpy(), [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    out.backward(np.arange(6.0, dtype=dtype).reshape(2, 3))
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropy_of_huge_logits_is_exact(dtype) -> None:
    x = _leaf(BIG, dtype)
    losses = ops.cross_entropy(x, npnn.tensor([1, 2]), reduction="none")
    np.testing.assert_array_equal(losses.numpy(), [2e4, 0.0])
    losses.sum().backward()
    # softmax - one_hot(target)
    np.testing.assert_array_equal(x.grad, [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_of_plus_minus_1000_is_finite(dtype) -> None:
    x = _leaf([1000.0, -1000.0, 0.0], dtype)
    out = ops.sigmoid(x)
    np.testing.assert_array_equal(out.numpy(), [1.0, 0.0, 0.5])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.25])


@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_losses_stay_finite_at_the_extremes(dtype) -> None:
    logits = _leaf([1000.0, -1000.0], dtype)
    loss = ops.binary_cross_entropy_with_logits(logits, npnn.tensor([0.0, 1.0]), reduction="sum",
                                                pos_weight=npnn.tensor([2.0, 3.0]))
    assert loss.item() == pytest.approx(1000.0 + 3 * 1000.0)
    loss.backward()
    np.testing.assert_allclose(logits.grad, [1.0, -3.0])
    probs = _leaf([0.0, 1.0], dtype)
    # PyTorch clamps log at -100
    loss = ops.binary_cross_entropy(probs, npnn.tensor([1.0, 0.0]), reduction="none")
    np.testing.assert_array_equal(loss.numpy(), [100.0, 100.0])
    loss.sum().backward()
    assert np.isfinite(probs.grad).all()


@pytest.mark.parametrize("op", ["elu", "gelu", "leaky_relu", "tanh", "softplus-free exp"])
def test_activations_finite_at_large_inputs(op: str) -> None:
    x = _leaf([-1000.0, 1000.0], np.float32)
    fn = {"elu": ops.elu, "gelu": lambda t: ops.gelu(t, approximate="tanh"),
          "leaky_relu": ops.leaky_relu, "tanh": ops.tanh,
          "softplus-free exp": lambda t: ops.exp(-ops.abs(t))}[op]
    out = fn(x)
    out.sum().backward()
    assert np.isfinite(out.numpy()).all() and np.isfinite(x.grad).all()


# ----- dtypes: Python scalars never upcast; integers meet floats as in PyTorch -----
SCALAR_OPS: dict[str, Callable[[npnn.Tensor], npnn.Tensor]] = {
    "x * 0.5": lambda x: x * 0.5,
    "0.5 * x": lambda x: 0.5 * x,
    "x + 2": lambda x: x + 2,
    "x - 1.5": lambda x: x - 1.5,
    "2 - x": lambda x: 2 - x,
    "x / 3": lambda x: x / 3,
    "2 / x": lambda x: 2 / x,
    "x ** 2": lambda x: x**2,
    "x ** 0.5": lambda x: x**0.5,
    "2 ** x": lambda x: 2**x,
    "where(m, x, 0.0)": lambda x: ops.where(x > 1, x, 0.0),
    "maximum(x, 0.5)": lambda x: ops.maximum(x, 0.5),
    "clamp(x, 0.1, 1.5)": lambda x: x.clamp(0.1, 1.5),
    "leaky_relu(x, 0.3)": lambda x: ops.leaky_relu(x, 0.3),
    "elu(x, 0.7)": lambda x: ops.elu(-x, 0.7),
    "pad(x, value=0.5)": lambda x: ops.pad(x, (1, 1), value=0.5),
    "dropout(x, 0.25)": lambda x: ops.dropout(x, 0.25),
    "x.var() * 2.0": lambda x: x.var() * 2.0,
    "x.mean() + 1": lambda x: x.mean() + 1,
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", list(SCALAR_OPS))
def test_python_scalars_never_change_the_dtype(name: str, dtype) -> None:
    x = _leaf([0.5, 1.25, 2.0], dtype)
    out = SCALAR_OPS[name](x)
    assert out.dtype == dtype
    out.sum().backward()
    assert x.grad.dtype == dtype


@pytest.mark.parametrize(("make", "dtype"), [
    (lambda: npnn.tensor([1, 2]) * 0.5, np.float32),
    (lambda: npnn.tensor([1, 2]) / npnn.tensor([2, 4]), np.float32),
    (lambda: npnn.tensor([1, 2]) / 2, np.float32),
    (lambda: npnn.tensor([1, 2]) + npnn.tensor([0.5, 0.5]), np.float32),
    (lambda: npnn.tensor(np.array([1, 2], np.int32)) * npnn.tensor([0.5, 0.5]), np.float32),
    (lambda: npnn.tensor([1, 2]) + npnn.tensor(np.array([0.5, 0.5])), np.float64),
    (lambda: npnn.tensor([1, 2]) + 1, np.int64),
    (lambda: npnn.tensor([1, 2]) * 3, np.int64),
    (lambda: npnn.tensor([True, False]) * 2.0, np.float32),
    (lambda: ops.cat([npnn.tensor([1]), npnn.tensor([0.5])]), np.float32),
], ids=["int*0.5", "int/int", "int/2", "int+float32", "int32*float32", "int+float64",
        "int+1", "int*3", "bool*2.0", "cat(int,float32)"])
def test_integer_and_float_promotion_follows_pytorch(make, dtype) -> None:
    assert make().dtype == dtype


def test_integer_values_survive_promotion() -> None:
    np.testing.assert_array_equal((npnn.tensor([3, 4]) * 0.5).numpy(), [1.5, 2.0])
    np.testing.assert_array_equal((npnn.tensor([1, 3]) / npnn.tensor([2, 4])).numpy(), [0.5, 0.75])


# ----- ties: maximum/minimum agree with PyTorch; max(dim) splits where PyTorch does not -----
def test_maximum_splits_gradient_on_ties() -> None:
    x, y = _leaf([1.0, 2.0, 3.0], np.float64), _leaf([1.0, 5.0, 0.0], np.float64)
    ops.maximum(x, y).backward(np.array([2.0, 2.0, 2.0]))
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 2.0])
    np.testing.assert_array_equal(y.grad, [1.0, 2.0, 0.0])


@pytest.mark.parametrize("reduce", ["max", "amax"])
def test_max_over_dim_splits_gradient_between_ties(reduce: str) -> None:
    x = _leaf([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]], np.float64)
    out = ops.max(x, 1) if reduce == "max" else ops.amax(x, 1)
    values = out.values if reduce == "max" else out
    np.testing.assert_array_equal(values.numpy(), [3.0, 2.0])
    if reduce == "max":
        np.testing.assert_array_equal(out.indices.numpy(), [1, 0])
        assert out.indices.dtype == np.int64 and not out.indices.requires_grad
    values.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])


def test_min_over_dim_returns_values_and_indices() -> None:
    x = npnn.tensor([[4.0, -1.0, 2.0], [0.5, 3.0, -2.0]])
    values, indices = x.min(dim=-1, keepdim=True)
    np.testing.assert_array_equal(values.numpy(), [[-1.0], [-2.0]])
    np.testing.assert_array_equal(indices.numpy(), [[1], [2]])


# ----- variance with no degrees of freedom: nan as in PyTorch, not an exception -----
def test_variance_of_one_sample_is_nan_forward_and_backward() -> None:
    x = _leaf([[1.0], [2.0]], np.float64)
    out = x.var(1)
    assert np.isnan(out.numpy()).all()
    with np.errstate(invalid="ignore"):
        out.sum().backward()
    assert np.isnan(x.grad).all()
    np.testing.assert_array_equal(x.var(1, correction=0).numpy(), [0.0, 0.0])


# ----- fast paths that must give the general path's bits -----
def test_relu_equals_numpy_maximum_bit_for_bit() -> None:
    values = np.array([[-0.0, 0.0, -1.5, 2.5, np.inf, -np.inf, np.nan, 1e-45, -1e-45]] * 3,
                      dtype=np.float32)
    out = ops.relu(npnn.tensor(values)).numpy()
    expected = np.maximum(values, 0)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(np.signbit(out), np.signbit(expected))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.1, 0.3, 1.0])
def test_label_smoothing_of_plain_targets_equals_the_general_path(dtype, reduction: str,
                                                                  smoothing: float) -> None:
    # in-range class indices without weights build the smoothed targets directly; unit class
    # weights take the general path, which must give the same loss and gradient, bit for bit
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((17, 5))
    target = npnn.tensor(rng.integers(0, 5, 17))
    results = []
    for weight in (None, np.ones(5, dtype)):
        x = _leaf(logits, dtype)
        loss = ops.cross_entropy(x, target, weight, reduction=reduction, label_smoothing=smoothing)
        loss.backward(npnn.ones_like(loss))
        results.append((loss.numpy(), x.grad))
    (fast_loss, fast_grad), (general_loss, general_grad) = results
    np.testing.assert_array_equal(fast_loss, general_loss)
    np.testing.assert_array_equal(fast_grad, general_grad)


# ----- dropout -----
def test_dropout_zeroes_and_rescales() -> None:
    npnn.manual_seed(0)
    x = _leaf(np.ones(4000), np.float32)
    out = ops.dropout(x, 0.4)
    kept = out.numpy() != 0
    np.testing.assert_allclose(out.numpy()[kept], 1 / 0.6, rtol=1e-6)
    assert abs(kept.mean() - 0.6) < 0.03
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.numpy())  # the gradient is the same mask


def test_dropout_is_reproducible_after_manual_seed() -> None:
    x = npnn.ones(50)
    npnn.manual_seed(7)
    first = ops.dropout(x, 0.5).numpy()
    second = ops.dropout(x, 0.5).numpy()
    npnn.manual_seed(7)
    np.testing.assert_array_equal(ops.dropout(x, 0.5).numpy(), first)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize(("p", "training", "expected"), [
    (0.0, True, [1.0, 2.0]), (0.5, False, [1.0, 2.0]), (1.0, True, [0.0, 0.0]),
])
def test_dropout_edge_probabilities(p: float, training: bool, expected: list[float]) -> None:
    np.testing.assert_array_equal(ops.dropout(npnn.tensor([1.0, 2.0]), p, training).numpy(),
                                  expected)


# ----- no gradient into targets (differs from PyTorch by design) -----
@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy_with_logits"])
def test_targets_get_no_gradient(loss: str) -> None:
    x = _leaf([[0.2, -0.4, 1.0]], np.float64)
    target = _leaf([[0.2, 0.3, 0.5]], np.float64)
    getattr(ops, loss)(x, target).backward()
    assert x.grad is not None and target.grad is None


def test_gradcheck_perturbs_non_contiguous_inputs() -> None:
    x = npnn.Tensor(np.random.default_rng(0).standard_normal((3, 4)).T, requires_grad=True)
    assert not x.array.flags.c_contiguous
    assert gradcheck(lambda t: (t * t).sum(0), [x])


def test_float64_loss_weight_keeps_float32_loss():
    F = npnn.nn.functional
    probs, target, weight = npnn.rand(3, 2), npnn.rand(3, 2), np.array([1.0, 2.0])
    assert F.binary_cross_entropy(probs, target, weight=weight).dtype == np.float32
    assert F.binary_cross_entropy_with_logits(probs, target, weight=weight).dtype == np.float32
