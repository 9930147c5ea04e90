"""The margin, ranking and likelihood losses against PyTorch CPU: values and the gradient of every
input that PyTorch differentiates, for each reduction, float32 and float64, over random cases of
each option and shape rule (broadcasting, unbatched inputs, weights, var shapes)."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
import npnn.nn.functional as F

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
TF = torch.nn.functional


def signs(rng, shape):
    return rng.choice([-1.0, 1.0], shape)


def margin_ranking(shape1, shape2, target_shape):
    return lambda rng: [rng.standard_normal(shape1), rng.standard_normal(shape2), signs(rng, target_shape)]


def pairs_and_signs(shape, target_shape, other=None):
    return lambda rng: [rng.standard_normal(shape), rng.standard_normal(other or shape),
                        signs(rng, target_shape)]


def hinge(shape, target_shape):
    def make(rng):
        target = rng.choice([-1.0, 1.0, 1.0], target_shape)
        return [rng.standard_normal(shape) * 2, target]
    return make


def label_lists(rng, samples, classes):
    """Per row, some distinct (sometimes repeated) classes, then -1 and leftovers after it."""
    target = rng.integers(0, classes, (samples, classes))
    for row in target:
        count = rng.integers(0, classes + 1)
        row[:count] = rng.permutation(classes)[:count]
        if count and rng.random() < 0.3:
            row[count - 1] = row[0]  # a repeated target counts twice, as in PyTorch
        if count < classes:
            row[count] = -1
    return target


def multilabel(samples, classes, unbatched=False):
    def make(rng):
        target = label_lists(rng, samples, classes)
        return [rng.standard_normal((classes,) if unbatched else (samples, classes)),
                target[0] if unbatched else target]
    return make


def multiclass(samples, classes, unbatched=False):
    def make(rng):
        target = rng.integers(0, classes, () if unbatched else (samples,))
        return [rng.standard_normal((classes,) if unbatched else (samples, classes)), target]
    return make


def soft_labels(shape):
    return lambda rng: [rng.standard_normal(shape) * 2, rng.integers(0, 2, shape).astype(float)]


def poisson(log_input):
    def make(rng):
        target = rng.poisson(2.0, (5, 4)).astype(float)
        target.flat[:3] = [0.0, 1.0, 5.0]
        x = rng.standard_normal((5, 4)) if log_input else rng.uniform(0.2, 3.0, (5, 4))
        return [x, target]
    return make


def gaussian(var_shape, shape=(5, 4), small=False):
    def make(rng):
        var = rng.uniform(0.1, 2.0, var_shape)
        if small:
            var.flat[:2] = [1e-9, 0.0]  # below eps: clamped, the gradient still flows
        return [rng.standard_normal(shape), rng.standard_normal(shape), var]
    return make


def triplets(*shapes):
    return lambda rng: [rng.standard_normal(s) for s in shapes]


def cosine_distance(functional):
    return lambda a, b: 1.0 - functional.cosine_similarity(a, b)


# (id, function, inputs, kwargs (given the framework's functional module), inputs with gradients)
CASES = [
    ("margin-ranking", "margin_ranking_loss", margin_ranking((6,), (6,), (6,)), {}, (0, 1, 2)),
    ("margin-ranking-margin", "margin_ranking_loss", margin_ranking((6,), (6,), (6,)),
     {"margin": 0.5}, (0, 1, 2)),
    ("margin-ranking-broadcast", "margin_ranking_loss", margin_ranking((3, 1), (1, 4), (3, 4)),
     {"margin": 0.2}, (0, 1, 2)),
    ("margin-ranking-0d", "margin_ranking_loss", margin_ranking((), (), ()), {"margin": 0.1}, (0, 1)),
    ("hinge", "hinge_embedding_loss", hinge((5, 4), (5, 4)), {}, (0,)),
    ("hinge-margin-broadcast", "hinge_embedding_loss", hinge((5, 4), (4,)), {"margin": 2.0}, (0,)),
    ("soft-margin", "soft_margin_loss",
     lambda rng: [rng.standard_normal((5, 4)) * 3, signs(rng, (5, 4))], {}, (0,)),
    ("soft-margin-broadcast", "soft_margin_loss",
     lambda rng: [rng.standard_normal((5, 4)), signs(rng, (4,))], {}, (0,)),
    ("cosine", "cosine_embedding_loss", pairs_and_signs((6, 3), (6,)), {}, (0, 1)),
    ("cosine-margin", "cosine_embedding_loss", pairs_and_signs((6, 3), (6,)), {"margin": -0.3}, (0, 1)),
    ("cosine-unbatched", "cosine_embedding_loss", pairs_and_signs((4,), ()), {"margin": 0.2}, (0, 1)),
    ("cosine-broadcast", "cosine_embedding_loss", pairs_and_signs((6, 3), (6,), other=(1, 3)), {},
     (0, 1)),
    ("multilabel-soft", "multilabel_soft_margin_loss", soft_labels((5, 4)), {}, (0, 1)),
    ("multilabel-soft-weight", "multilabel_soft_margin_loss", soft_labels((5, 4)),
     {"weight": np.array([0.5, 1.0, 2.0, 0.1])}, (0, 1)),
    ("multilabel-soft-3d", "multilabel_soft_margin_loss", soft_labels((2, 3, 4)), {}, (0, 1)),
    ("multilabel-soft-1d", "multilabel_soft_margin_loss", soft_labels((4,)), {}, (0,)),
    ("multilabel-margin", "multilabel_margin_loss", multilabel(6, 5), {}, (0,)),
    ("multilabel-margin-unbatched", "multilabel_margin_loss", multilabel(1, 5, True), {}, (0,)),
    ("multi-margin", "multi_margin_loss", multiclass(6, 5), {}, (0,)),
    ("multi-margin-p2", "multi_margin_loss", multiclass(6, 5), {"p": 2, "margin": 0.5}, (0,)),
    ("multi-margin-weight", "multi_margin_loss", multiclass(6, 5),
     {"weight": np.array([0.5, 1.0, 2.0, 0.1, 3.0]), "p": 2}, (0,)),
    ("multi-margin-unbatched", "multi_margin_loss", multiclass(1, 5, True), {"margin": 2.0}, (0,)),
    ("poisson", "poisson_nll_loss", poisson(True), {}, (0, 1)),
    ("poisson-rates", "poisson_nll_loss", poisson(False), {"log_input": False}, (0, 1)),
    ("poisson-full", "poisson_nll_loss", poisson(True), {"full": True}, (0, 1)),
    ("poisson-rates-full-eps", "poisson_nll_loss", poisson(False),
     {"log_input": False, "full": True, "eps": 1e-3}, (0, 1)),
    ("gaussian", "gaussian_nll_loss", gaussian((5, 4)), {}, (0, 1, 2)),
    ("gaussian-full-eps", "gaussian_nll_loss", gaussian((5, 4), small=True), {"full": True, "eps": 1e-3},
     (0, 1, 2)),
    ("gaussian-var-short", "gaussian_nll_loss", gaussian((5,)), {}, (0, 1, 2)),
    ("gaussian-var-column", "gaussian_nll_loss", gaussian((5, 1)), {}, (0, 1, 2)),
    ("gaussian-var-row", "gaussian_nll_loss", gaussian((1, 4)), {}, (0, 1, 2)),
    ("gaussian-var-3d", "gaussian_nll_loss", gaussian((2, 1, 4), shape=(2, 3, 4)), {"full": True},
     (0, 1, 2)),
    ("triplet", "triplet_margin_loss", triplets((6, 3), (6, 3), (6, 3)), {}, (0, 1, 2)),
    ("triplet-p1-swap", "triplet_margin_loss", triplets((6, 3), (6, 3), (6, 3)),
     {"p": 1.0, "swap": True, "margin": 2.0}, (0, 1, 2)),
    ("triplet-p3-eps", "triplet_margin_loss", triplets((6, 3), (6, 3), (6, 3)),
     {"p": 3.0, "eps": 1e-3, "margin": 0.5}, (0, 1, 2)),
    ("triplet-unbatched", "triplet_margin_loss", triplets((4,), (4,), (4,)), {"margin": 3.0}, (0, 1, 2)),
    ("triplet-3d", "triplet_margin_loss", triplets((2, 3, 4), (2, 3, 4), (2, 3, 4)), {"swap": True},
     (0, 1, 2)),
    ("triplet-broadcast", "triplet_margin_loss", triplets((6, 3), (1, 3), (6, 3)), {"margin": 2.0},
     (0, 1, 2)),
    ("triplet-distance", "triplet_margin_with_distance_loss", triplets((6, 3), (6, 3), (6, 3)),
     {"margin": 2.0}, (0, 1, 2)),
    ("triplet-distance-cosine-swap", "triplet_margin_with_distance_loss",
     triplets((6, 3), (6, 3), (6, 3)),
     {"distance_function": cosine_distance, "swap": True, "margin": 0.5}, (0, 1, 2)),
]


def _torch_or_npnn_kwargs(kwargs, functional, make):
    out = {}
    for key, value in kwargs.items():
        if isinstance(value, np.ndarray):
            value = make(value)
        elif callable(value):
            value = value(functional)
        out[key] = value
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, function, make_inputs, kwargs, grads", CASES, ids=[c[0] for c in CASES])
def test_loss_matches_torch(name, function, make_inputs, kwargs, grads, reduction, seed, dtype,
                            close) -> None:
    arrays = make_inputs(np.random.default_rng([seed, len(name)]))
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
    ours_in = [npnn.tensor(a.copy(), requires_grad=i in grads) for i, a in enumerate(arrays)]
    theirs_in = [torch.tensor(a.copy(), requires_grad=i in grads) for i, a in enumerate(arrays)]
    ours_kw = _torch_or_npnn_kwargs(kwargs, F, lambda a: npnn.tensor(a.astype(dtype)))
    theirs_kw = _torch_or_npnn_kwargs(kwargs, TF, lambda a: torch.tensor(a.astype(dtype)))
    ours = getattr(F, function)(*ours_in, reduction=reduction, **ours_kw)
    theirs = getattr(TF, function)(*theirs_in, reduction=reduction, **theirs_kw)
    close(ours.numpy(), theirs.detach().numpy(), dtype, "forward")
    upstream = np.random.default_rng(7).standard_normal(theirs.shape).astype(dtype)
    ours.backward(npnn.tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    for i in grads:
        expected = theirs_in[i].grad.numpy()
        if kwargs.get("full") and function == "poisson_nll_loss" and i == 1:
            # PyTorch's target gradient is NaN at a target of 0 (0 · log 0 in Stirling's term);
            # npnn's leaves that term out there, as the loss does: the gradient without `full`
            zero = arrays[1] == 0
            assert np.isnan(expected[zero]).all()
            plain_in = [torch.tensor(a.copy(), requires_grad=j in grads) for j, a in enumerate(arrays)]
            plain_kw = {**theirs_kw, "full": False}
            getattr(TF, function)(*plain_in, reduction=reduction, **plain_kw).backward(torch.tensor(upstream))
            expected = np.where(zero, plain_in[1].grad.numpy(), expected)
        close(ours_in[i].grad.numpy(), expected, dtype, f"gradient of input {i}")
