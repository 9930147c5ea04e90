"""Builders: an L2 penalty applied as the optimizer's weight decay trains exactly as the penalty."""

import numpy as np
import pytest

import npnn
from npnn.nn.regularization import penalty
from npnn.training import TrainConfig
from npnn.training.builders import build_model, build_optimizer, penalty_value, training_loss


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_l2_as_weight_decay_matches_the_penalty_in_the_graph(optimizer):
    config = TrainConfig(hidden=[32], optimizer=optimizer, regularization="l2", reg_strength=0.01,
                         dropout=0.0, momentum=0.9, label_smoothing=0.0)
    plain = config.replace(regularization="none", reg_strength=0.0)
    npnn.manual_seed(0)
    folded = build_model(config)
    npnn.manual_seed(0)
    reference = build_model(plain)
    folded_opt, reference_opt = build_optimizer(config, folded), build_optimizer(plain, reference)
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = npnn.tensor(rng.standard_normal((8, 784)).astype(np.float32))
        y = npnn.tensor(rng.integers(0, 10, 8))
        loss = training_loss(config, folded, folded(x), y)
        reported = float(loss.item()) + penalty_value(config, folded)
        folded_opt.zero_grad()
        loss.backward()
        folded_opt.step()
        full = training_loss(plain, reference, reference(x), y) + penalty(reference, "l2", 0.01)
        reference_opt.zero_grad()
        full.backward()
        reference_opt.step()
        assert reported == pytest.approx(float(full.item()), rel=1e-5)
    for name, value in reference.state_dict().items():
        np.testing.assert_allclose(folded.state_dict()[name], value, rtol=2e-4, atol=2e-6, err_msg=name)


def test_biases_get_no_l2_decay():
    config = TrainConfig(hidden=[8], regularization="l2", reg_strength=0.5)
    groups = build_optimizer(config, build_model(config)).param_groups
    assert [g["weight_decay"] for g in groups] == [1.0, 0.0]
    assert [len(g["params"]) for g in groups] == [2, 2]
