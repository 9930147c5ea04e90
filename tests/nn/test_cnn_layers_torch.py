"""BatchNorm2d, AvgPool2d, AdaptiveAvgPool2d and Dropout2d against PyTorch CPU: state_dict round trips,
forward values and gradients, and a small CNN through training steps (BatchNorm2d's training steps
and eval: test_layers_torch.py, with BatchNorm1d's)."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
from torch_training import assert_trains_as_pytorch  # noqa: E402  (after the torch check)


def torch_dtype(dtype: np.dtype) -> torch.dtype:
    return {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}[dtype]


def test_batchnorm2d_state_dict_round_trips_through_pytorch(rng, close) -> None:
    layer = nn.BatchNorm2d(4, dtype=np.float64)
    for _ in range(3):  # running statistics and num_batches_tracked away from their initial values
        layer(npnn.tensor(rng.normal(2.0, 3.0, (5, 4, 3, 3))))
    reference = torch.nn.BatchNorm2d(4, dtype=torch.float64)
    reference.load_state_dict({k: torch.tensor(v.numpy()) for k, v in layer.state_dict().items()})
    assert int(reference.num_batches_tracked) == 3
    x = rng.standard_normal((2, 4, 3, 3))
    layer.eval()
    reference.eval()
    close(layer(npnn.tensor(x)).data, reference(torch.tensor(x)).detach().numpy(), np.float64, "eval")
    back = nn.BatchNorm2d(4, dtype=np.float64).eval()
    back.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    close(back(npnn.tensor(x)).data, layer(npnn.tensor(x)).data, np.float64, "reloaded")


POOLS = {
    "avg-2": ({"kernel_size": 2}, "AvgPool2d"),
    "avg-3-s2-p1": ({"kernel_size": 3, "stride": 2, "padding": 1}, "AvgPool2d"),
    "avg-ceil-exclude-pad": ({"kernel_size": (3, 2), "stride": 2, "padding": 1, "ceil_mode": True,
                              "count_include_pad": False}, "AvgPool2d"),
    "avg-divisor-override": ({"kernel_size": 2, "stride": 1, "divisor_override": 3}, "AvgPool2d"),
    "adaptive-1": ({"output_size": 1}, "AdaptiveAvgPool2d"),
    "adaptive-divides": ({"output_size": (3, 4)}, "AdaptiveAvgPool2d"),
    "adaptive-uneven-None": ({"output_size": (4, None)}, "AdaptiveAvgPool2d"),
}


@pytest.mark.parametrize("kwargs, name", POOLS.values(), ids=POOLS.keys())
def test_average_pooling(kwargs, name, dtype, rng, compare_with_torch) -> None:
    layer, reference = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    compare_with_torch(layer, reference, [rng.standard_normal((2, 3, 9, 8)).astype(dtype)], dtype)
    assert repr(layer) == repr(reference)


def test_dropout2d_eval_is_the_identity_and_repr_matches(dtype, rng, compare_with_torch) -> None:
    layer, reference = nn.Dropout2d(0.3).eval(), torch.nn.Dropout2d(0.3).eval()
    compare_with_torch(layer, reference, [rng.standard_normal((2, 3, 4, 4)).astype(dtype)], dtype)
    assert repr(layer) == repr(reference)


def test_dropout2d_drops_whole_channels_at_pytorchs_rate_and_scale() -> None:
    x = np.ones((200, 50, 2, 3))
    mine = nn.Dropout2d(0.3)(npnn.tensor(x)).numpy()
    theirs = torch.nn.Dropout2d(0.3)(torch.tensor(x)).numpy()
    for out in (mine, theirs):
        per_channel = out.reshape(200, 50, -1)
        assert (per_channel == per_channel[:, :, :1]).all()  # a channel is kept or dropped whole
        assert set(np.unique(out)) == {0.0, 1 / 0.7}
    kept = [(out[:, :, 0, 0] > 0).mean() for out in (mine, theirs)]
    assert abs(kept[0] - 0.7) < 0.03 and abs(kept[1] - 0.7) < 0.03, kept


def test_a_small_cnn_with_batch_norm_and_pooling_matches_pytorch_through_training_steps(rng) -> None:
    def build(lib):
        return lib.nn.Sequential(
            lib.nn.Conv2d(1, 4, 3, padding=1), lib.nn.BatchNorm2d(4), lib.nn.ReLU(), lib.nn.AvgPool2d(2),
            lib.nn.Conv2d(4, 6, 3, padding=1), lib.nn.BatchNorm2d(6, momentum=None), lib.nn.ReLU(),
            lib.nn.AdaptiveAvgPool2d(3), lib.nn.Flatten(), lib.nn.Linear(6 * 3 * 3, 10))

    x, y = rng.standard_normal((8, 1, 10, 10)), rng.integers(0, 10, 8)
    model, reference = assert_trains_as_pytorch(build, x, y, rtol=1e-9)
    model.eval()
    reference.eval()
    np.testing.assert_allclose(model(npnn.tensor(x)).numpy(), reference(torch.tensor(x)).detach().numpy(),
                               rtol=1e-9, atol=1e-12)
