"""The training recipe: an L2 penalty applied as the optimizer's weight decay trains exactly as
the penalty; the loss takes log-softmax once and equals cross-entropy with label smoothing."""

import numpy as np
import pytest

import npnn
from npnn.nn import functional as F
from npnn.nn.regularization import penalty
from npnn.training import TrainConfig
from npnn.training.recipe import Recipe


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_l2_as_weight_decay_matches_the_penalty_in_the_graph(optimizer):
    config = TrainConfig(hidden=[32], optimizer=optimizer, regularization="l2", reg_strength=0.01,
                         dropout=0.0, momentum=0.9, label_smoothing=0.0)
    plain = config.replace(regularization="none", reg_strength=0.0)
    npnn.manual_seed(0)
    folded = Recipe.build(config, steps_per_epoch=20)
    npnn.manual_seed(0)
    reference = Recipe.build(plain, steps_per_epoch=20)
    assert folded.l2_folded and not reference.l2_folded
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = npnn.tensor(rng.standard_normal((8, 784)).astype(np.float32))
        y = npnn.tensor(rng.integers(0, 10, 8))
        loss = folded.loss(folded.model(x), y)
        reported = float(loss.item()) + folded.penalty_outside_loss()
        folded.optimizer.zero_grad()
        loss.backward()
        folded.optimizer.step()
        full = reference.loss(reference.model(x), y) + penalty(reference.model, "l2", 0.01)
        reference.optimizer.zero_grad()
        full.backward()
        reference.optimizer.step()
        assert reported == pytest.approx(float(full.item()), rel=1e-5)
    for name, value in reference.model.state_dict().items():
        np.testing.assert_allclose(folded.model.state_dict()[name], value, rtol=2e-4, atol=2e-6,
                                   err_msg=name)


def test_biases_get_no_l2_decay():
    config = TrainConfig(hidden=[8], regularization="l2", reg_strength=0.5)
    groups = Recipe.build(config, steps_per_epoch=1).optimizer.param_groups
    assert [g["weight_decay"] for g in groups] == [1.0, 0.0]
    assert [len(g["params"]) for g in groups] == [2, 2]


@pytest.mark.parametrize("setting", [{"clip_grad_norm": 1.0}, {"optimizer": "adamw"},
                                     {"regularization": "l1"}])
def test_the_penalty_stays_in_the_graph_where_weight_decay_cannot_stand_for_it(setting):
    config = TrainConfig(hidden=[8], **{"regularization": "l2", "reg_strength": 0.5, **setting})
    recipe = Recipe.build(config, steps_per_epoch=1)
    assert not recipe.l2_folded and recipe.penalty_outside_loss() == 0.0
    assert all(g["weight_decay"] == config.weight_decay for g in recipe.optimizer.param_groups)
    x, y = npnn.randn(4, 784), npnn.tensor([0, 1, 2, 3])
    recipe.model.eval()  # no dropout: both losses see the same log-probabilities
    with npnn.no_grad():
        data = F.smoothed_nll_loss(recipe.model(x), y, config.label_smoothing)
        expected = float(data.item()) + float(penalty(recipe.model, config.regularization, 0.5).item())
        assert float(recipe.loss(recipe.model(x), y).item()) == pytest.approx(expected, rel=1e-6)


def test_the_loss_equals_cross_entropy_of_the_logits_with_one_log_softmax():
    config = TrainConfig(hidden=[16], label_smoothing=0.1, dropout=0.0)
    recipe = Recipe.build(config, steps_per_epoch=1)
    x = npnn.randn(32, 784)
    y = npnn.tensor(np.random.default_rng(1).integers(0, 10, 32))
    before_softmax = recipe.model.layers[:-1]
    logits = before_softmax(x)
    expected = F.cross_entropy(logits, y, label_smoothing=0.1)
    expected.backward()
    expected_grads = [p.grad.clone() for p in recipe.model.parameters()]
    recipe.optimizer.zero_grad()
    loss = recipe.loss(recipe.model(x), y)
    loss.backward()
    assert float(loss.item()) == pytest.approx(float(expected.item()), rel=1e-6)
    for grad, want in zip([p.grad for p in recipe.model.parameters()], expected_grads, strict=True):
        np.testing.assert_allclose(grad, want, rtol=1e-4, atol=1e-7)
