"""npnn.autograd.backward and anomaly detection against torch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")


def _leaves(lib: Any) -> tuple[Any, Any]:
    rng = np.random.default_rng(7)
    return (lib.tensor(rng.standard_normal((3, 2)), requires_grad=True),
            lib.tensor(rng.standard_normal(2), requires_grad=True))


@pytest.mark.parametrize("case", ["scalar", "two_roots", "grad_tensors", "inputs"])
def test_backward_matches_torch(case: str) -> None:
    weights = np.random.default_rng(8).standard_normal((3, 2))
    grads = {}
    for lib in (npnn, torch):
        a, b = _leaves(lib)
        h = a * b
        first, second = (h ** 2).sum(), (h * 3).sum()
        if case == "scalar":
            lib.autograd.backward(first)
        elif case == "two_roots":
            lib.autograd.backward([first, second])
        elif case == "grad_tensors":
            lib.autograd.backward([h, second], [lib.tensor(weights), None])
        else:
            lib.autograd.backward([first], inputs=[b])
        grads[lib.__name__] = [None if t.grad is None else t.grad.detach().numpy()
                               for t in (a, b)]
    for mine, theirs in zip(grads["npnn"], grads["torch"], strict=True):
        assert (mine is None) == (theirs is None)
        if mine is not None:
            np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_backward_accumulates_into_existing_grad() -> None:
    for lib in (npnn, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        lib.autograd.backward((x * x).sum())
        lib.autograd.backward((x * 3).sum(), inputs=[x])
        assert x.grad.tolist() == [5.0, 7.0]


def test_anomaly_mode_names_the_node_with_nan() -> None:
    for lib in (npnn, torch):
        weight = lib.tensor([float("nan"), 2.0])  # NaN only in the gradient of x
        x = lib.tensor([1.0, 4.0], requires_grad=True)
        with pytest.raises(RuntimeError, match=r"Function 'Mul\w*' returned nan values in its "
                                               r"0th output"), lib.autograd.detect_anomaly():
            (x * weight).sum().backward()
        assert not (npnn.autograd if lib is npnn else torch).is_anomaly_enabled()
        y = lib.tensor([1.0, 4.0], requires_grad=True)
        (y * weight).sum().backward()  # off: the NaN goes through
        assert np.isnan(y.grad.detach().numpy()[0])


def test_set_detect_anomaly_sets_and_restores() -> None:
    npnn.autograd.set_detect_anomaly(True)
    try:
        assert npnn.autograd.is_anomaly_enabled()
        with npnn.autograd.set_detect_anomaly(False):
            assert not npnn.autograd.is_anomaly_enabled()
        assert npnn.autograd.is_anomaly_enabled()
    finally:
        npnn.autograd.set_detect_anomaly(False)
    assert not npnn.autograd.is_anomaly_enabled()
