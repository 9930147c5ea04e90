"""npnn.models.MLP: the original FNN's layout, minus its ReLU on the output layer."""

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.models import MLP


def test_mlp_layout_and_log_probability_output():
    npnn.manual_seed(0)
    model = MLP(hidden=[32, 16], dropout=0.1, activation="tanh")
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear", "LogSoftmax"]
    model.eval()
    out = model(npnn.rand(5, 784))
    assert out.shape == (5, 10)
    np.testing.assert_allclose(np.exp(out.numpy()).sum(axis=1), 1.0, rtol=1e-5)
    assert (out.numpy() < 0).all()


def test_mlp_output_can_express_negative_logits():
    # the original's ReLU before LogSoftmax made every logit >= 0; ours has no such floor
    model = MLP(hidden=[8])
    assert not isinstance(model.layers[-2], nn.ReLU)


def test_mlp_flattens_image_batches():
    model = MLP(hidden=[8])
    assert model(npnn.rand(3, 28, 28)).shape == (3, 10)


@pytest.mark.parametrize("kwargs, message", [
    ({"activation": "swish"}, "unknown activation"),
    ({"hidden": [0]}, "positive"),
])
def test_mlp_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLP(**kwargs)
