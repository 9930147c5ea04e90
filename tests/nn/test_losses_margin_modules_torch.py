"""The margin, ranking, triplet and likelihood loss modules against torch.nn's: forward and
gradients from the module, repr, state_dict keys, and misuse refused with PyTorch's texts."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
import npnn.nn.functional as F
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

WEIGHT = np.array([0.5, 1.0, 2.0, 0.3])


def _signs(rng, shape):
    return rng.choice([-1.0, 1.0], shape)


# (class name, kwargs (arrays become tensors of each library), inputs, inputs with gradients)
MODULES = [
    ("MarginRankingLoss", {"margin": 0.4},
     lambda r: [r.standard_normal(5), r.standard_normal(5), _signs(r, 5)], (0, 1)),
    ("HingeEmbeddingLoss", {"margin": 2.0}, lambda r: [r.standard_normal((3, 4)), _signs(r, (3, 4))], (0,)),
    ("SoftMarginLoss", {"reduction": "sum"}, lambda r: [r.standard_normal((3, 4)), _signs(r, (3, 4))], (0,)),
    ("CosineEmbeddingLoss", {"margin": 0.1},
     lambda r: [r.standard_normal((5, 3)), r.standard_normal((5, 3)), _signs(r, 5)], (0, 1)),
    ("MultiLabelSoftMarginLoss", {"weight": WEIGHT},
     lambda r: [r.standard_normal((3, 4)), r.integers(0, 2, (3, 4)).astype(float)], (0,)),
    ("MultiLabelMarginLoss", {"reduction": "none"},
     lambda r: [r.standard_normal((2, 4)), np.array([[2, 0, -1, 1], [3, 1, 2, -1]])], (0,)),
    ("MultiMarginLoss", {"p": 2, "margin": 0.7, "weight": WEIGHT},
     lambda r: [r.standard_normal((5, 4)), r.integers(0, 4, 5)], (0,)),
    ("TripletMarginLoss", {"margin": 1.5, "p": 1.0, "swap": True},
     lambda r: [r.standard_normal((5, 3)) for _ in range(3)], (0, 1, 2)),
    ("TripletMarginWithDistanceLoss", {"margin": 2.0, "swap": True},
     lambda r: [r.standard_normal((5, 3)) for _ in range(3)], (0, 1, 2)),
    ("PoissonNLLLoss", {"log_input": False, "full": True},
     lambda r: [r.uniform(0.2, 3.0, (3, 4)), r.poisson(2.0, (3, 4)).astype(float)], (0,)),
    ("GaussianNLLLoss", {"full": True, "eps": 1e-4},
     lambda r: [r.standard_normal((3, 4)), r.standard_normal((3, 4)), r.uniform(0.1, 2, (3, 1))], (0, 1, 2)),
]


def _build(library, name, kwargs, dtype):
    made = {key: library.tensor(value.astype(dtype)) if isinstance(value, np.ndarray) else value
            for key, value in kwargs.items()}
    return getattr(library.nn, name)(**made)


@pytest.mark.parametrize("name, kwargs, make_inputs, grads", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(name, kwargs, make_inputs, grads, dtype, rng, compare_with_torch) -> None:
    inputs = [a.astype(dtype) if a.dtype.kind == "f" else a for a in make_inputs(rng)]
    ours, theirs = _build(npnn, name, kwargs, dtype), _build(torch, name, kwargs, dtype)
    compare_with_torch(ours, theirs, inputs, dtype, grad_inputs=grads)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_distance_function_is_a_sub_module_or_any_callable(rng) -> None:
    assert isinstance(nn.TripletMarginWithDistanceLoss().distance_function, nn.PairwiseDistance)
    calls = []

    def distance(a, b):
        calls.append(a.shape)
        return F.pairwise_distance(a, b, 1.0)

    loss = nn.TripletMarginWithDistanceLoss(distance_function=distance)
    a, p, n = (npnn.tensor(rng.standard_normal((4, 3))) for _ in range(3))
    expected = F.triplet_margin_loss(a, p, n, p=1.0)
    np.testing.assert_allclose(loss(a, p, n).item(), expected.item(), rtol=1e-12)
    assert len(calls) == 2
    assert repr(loss) == "TripletMarginWithDistanceLoss()"


X, T4 = npnn.ones(3, 4), npnn.tensor([0, 1, 2])


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.margin_ranking_loss(npnn.randn(3), npnn.randn(3), npnn.ones(3, 1)), RuntimeError,
     "All input tensors should have same dimension"),
    (lambda: F.margin_ranking_loss(npnn.randn(3), npnn.randn(3), npnn.ones(3), reduction="avg"),
     ValueError, "avg is not a valid value for reduction"),
    (lambda: F.cosine_embedding_loss(npnn.randn(3, 4, 2), npnn.randn(3, 4, 2), npnn.ones(3)),
     RuntimeError, r"1D target tensor expects 2D input tensors, but found inputs with sizes \[3, 4, 2\]"),
    (lambda: F.cosine_embedding_loss(X, X, npnn.ones(3, 1)), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda: F.cosine_embedding_loss(X, X, npnn.tensor(1.0)), RuntimeError,
     "0D target tensor expects 1D input tensors"),
    (lambda: F.triplet_margin_loss(X, X, npnn.randn(4)), RuntimeError,
     "anchor 2D, positive 2D, and negative 1D inputs"),
    (lambda: F.triplet_margin_with_distance_loss(X, X, X, margin=0), ValueError,
     "margin must be greater than 0, got 0"),
    (lambda: nn.TripletMarginWithDistanceLoss(margin=-1.0), ValueError,
     "TripletMarginWithDistanceLoss: expected margin to be greater than 0, got -1.0 instead"),
    (lambda: nn.TripletMarginLoss(margin=0.0), ValueError,
     "TripletMarginLoss: expected margin to be greater than 0, got 0.0 instead"),
    (lambda: F.multilabel_soft_margin_loss(X, X, reduction="x"), ValueError, "x is not valid"),
    (lambda: F.multilabel_margin_loss(X, npnn.ones(3, 4)), RuntimeError,
     "expected scalar type Long but found"),
    (lambda: F.multilabel_margin_loss(X, npnn.tensor([[3, 0, -1], [1, 0, 0], [0, 0, 0]])), RuntimeError,
     r"inconsistent target size: \[3, 3\] for input of size: \[3, 4\]"),
    (lambda: F.multilabel_margin_loss(X, npnn.tensor([[3, 0, -1, 1], [4, 0, 0, 0], [0, 0, 0, 0]])),
     RuntimeError, "argument #2 'target' is out of range"),
    (lambda: F.multilabel_margin_loss(npnn.randn(1, 2, 4), npnn.zeros(1, 2, 4, dtype=npnn.int64)),
     RuntimeError, r"optional 0-dim batch size, but got: \[1, 2, 4\]"),
    (lambda: F.multi_margin_loss(X, T4, p=3), ValueError, "only p == 1 and p == 2 supported"),
    (lambda: nn.MultiMarginLoss(p=3), ValueError, "only p == 1 and p == 2 supported"),
    (lambda: F.multi_margin_loss(X, T4, weight=npnn.ones(1, 4)), ValueError,
     "weight must be one-dimensional"),
    (lambda: nn.MultiMarginLoss(weight=npnn.ones(1, 4)), ValueError,
     "MultiMarginLoss: expected weight to be None or 1D tensor, got 2D instead"),
    (lambda: F.multi_margin_loss(X, T4, weight=npnn.ones(3)), RuntimeError,
     r"inconsistent weight size, expected 4 but got \[3\]"),
    (lambda: F.multi_margin_loss(X, npnn.tensor([0, 1])), RuntimeError,
     r"Expected target size \[3\], but got \[2\]. Input has shape \[3, 4\]"),
    (lambda: F.multi_margin_loss(X, npnn.tensor([0, 1, 4])), RuntimeError, "target out of range"),
    (lambda: F.multi_margin_loss(X, npnn.tensor([0, -1, 2])), RuntimeError, "target out of range"),
    (lambda: F.multi_margin_loss(npnn.randn(3, 0), T4), RuntimeError, "Expected non-empty vector or matrix"),
    (lambda: F.poisson_nll_loss(X, X, reduction="x"), ValueError, "x is not a valid value for reduction"),
    (lambda: F.gaussian_nll_loss(X, X, -npnn.ones(3, 4)), ValueError, "var has negative entry/entries"),
    (lambda: F.gaussian_nll_loss(X, X, -1.0), ValueError, "var has negative entry/entries"),
    (lambda: F.gaussian_nll_loss(X, X, npnn.ones(2, 4)), ValueError, "var is of incorrect size"),
    (lambda: F.gaussian_nll_loss(X, X, npnn.ones(1, 1)), ValueError, "var is of incorrect size"),
    (lambda: F.gaussian_nll_loss(X, X, npnn.ones(3, 4), reduction="x"), ValueError, "x is not valid"),
    (lambda: nn.SoftMarginLoss(reduction="x"), ValueError, "reduction must be"),
])
def test_misuse_is_refused_with_torch_texts(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


def test_functions_reach_users_by_torch_names() -> None:
    names = ["margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss", "cosine_embedding_loss",
             "multilabel_soft_margin_loss", "multilabel_margin_loss", "multi_margin_loss",
             "poisson_nll_loss", "gaussian_nll_loss", "triplet_margin_loss",
             "triplet_margin_with_distance_loss", "ctc_loss"]
    for name in names:
        assert name in F.__all__ and callable(getattr(F, name))
        assert getattr(F, name).__doc__
    classes = ["MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss", "CosineEmbeddingLoss",
               "MultiLabelSoftMarginLoss", "MultiLabelMarginLoss", "MultiMarginLoss", "PoissonNLLLoss",
               "GaussianNLLLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss", "CTCLoss"]
    for name in classes:
        assert name in nn.__all__ and issubclass(getattr(nn, name), nn.Module)
