"""npnn.models: the MLP (the original FNN's layout, minus its ReLU on the output layer) and the CNN."""

import tracemalloc

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.models import CNN, MLP
from npnn.training import TrainConfig
from npnn.training.memory import FLOAT_BYTES, PARAMETER_COPIES, estimate_bytes, parameter_count
from npnn.training.metrics import EVAL_BATCH_SIZE, evaluate
from npnn.training.recipe import build_model


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


def test_cnn_layout_keeps_the_size_until_each_pool():
    npnn.manual_seed(0)
    model = CNN(channels=[4, 6], kernel_size=5, hidden=[16], dropout=0.3, activation="elu")
    kinds = [type(m).__name__ for m in [*model.features, *model.classifier]]
    assert kinds == ["Conv2d", "ELU", "MaxPool2d", "Conv2d", "ELU", "MaxPool2d",
                     "Flatten", "Linear", "ELU", "Dropout", "Linear", "LogSoftmax"]
    assert model.features[0].padding == (2, 2) and model.classifier[1].in_features == 6 * 7 * 7
    model.eval()
    images = npnn.rand(3, 784)
    out = model(images)  # rows of pixels, as the workflow's loader gives them
    assert out.shape == (3, 10) and (out.numpy() < 0).all()
    np.testing.assert_array_equal(model(images.reshape(3, 1, 28, 28)).numpy(), out.numpy())


def test_cnn_with_two_convolutions_per_block_pools_after_both():
    npnn.manual_seed(0)
    model = CNN(channels=[4, 6], hidden=[16], batch_norm=True, convs_per_block=2)
    kinds = [type(m).__name__ for m in model.features]
    block = ["Conv2d", "BatchNorm2d", "ReLU"] * 2 + ["MaxPool2d"]
    assert kinds == block * 2
    assert [m.in_channels for m in model.features if type(m).__name__ == "Conv2d"] == [1, 4, 4, 6]
    assert model(npnn.rand(3, 784)).shape == (3, 10) and model.classifier[1].in_features == 6 * 7 * 7


def test_cnn_matches_torch_with_the_same_weights():
    torch = pytest.importorskip("torch", reason="torch is needed to compare the CNN with PyTorch")
    npnn.manual_seed(1)
    model = CNN(channels=[3, 5], hidden=[12]).eval()
    reference = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(3, 5, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(245, 12), torch.nn.ReLU(), torch.nn.Linear(12, 10), torch.nn.LogSoftmax(dim=1))
    ours = list(model.state_dict().values())
    with torch.no_grad():
        for theirs, value in zip(reference.state_dict().values(), ours, strict=True):
            theirs.copy_(torch.from_numpy(value.numpy()))
    images = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(model(npnn.tensor(images)).numpy(),
                               reference(torch.from_numpy(images)).detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("settings", [{}, {"model": "cnn"},
                                      {"model": "cnn", "channels": [8, 16, 32], "kernel_size": 5,
                                       "cnn_hidden": [64, 32]},
                                      {"model": "cnn", "convs_per_block": 2, "batch_norm": True}])
def test_memory_estimate_counts_the_parameters_the_model_has(settings):
    config = TrainConfig(**settings)
    assert parameter_count(config) == sum(p.numel() for p in build_model(config).parameters())


@pytest.mark.parametrize("kwargs, message", [
    ({"channels": []}, "channels"),
    ({"kernel_size": 2}, "odd"),
    ({"pool": "min"}, "pool"),
    ({"channels": [1] * 5}, "at most 4"),
    ({"convs_per_block": 0}, "convs_per_block"),
])
def test_cnn_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CNN(**kwargs)


def test_memory_estimate_of_a_cnn_bounds_what_an_evaluation_and_a_step_use():
    config = TrainConfig(model="cnn", channels=[8, 16], cnn_hidden=[32], dropout=0.0)
    model = build_model(config)
    fixed, per_example = estimate_bytes(config)
    parameters = parameter_count(config) * PARAMETER_COPIES * FLOAT_BYTES
    images = np.random.default_rng(0).standard_normal((EVAL_BATCH_SIZE, 784)).astype(np.float32)
    tracemalloc.start()
    try:
        evaluate(model, images, np.arange(EVAL_BATCH_SIZE) % 10)
        evaluation = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        model(npnn.tensor(images[:64])).sum().backward()
        step = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert evaluation <= fixed - parameters <= 3 * evaluation  # an upper bound, not a wild one
    assert step <= 64 * per_example <= 3 * step
