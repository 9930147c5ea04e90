"""The image layers (PixelShuffle … FeatureAlphaDropout) against PyTorch: repr and state_dict
keys, layer outputs and gradients, error texts, return_indices, Bilinear's init bounds, and the
alpha dropouts' statistics (their draws are npnn's, so only the distribution can match)."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
TF, tnn = torch.nn.functional, torch.nn

LAYERS = [
    ("PixelShuffle", (2,), (2, 8, 3, 2)), ("PixelUnshuffle", (3,), (2, 1, 6, 3)),
    ("ChannelShuffle", (3,), (2, 6, 2, 2)), ("Unfold", ((2, 3),), (2, 3, 5, 6)),
    ("Fold", ((4, 5), 2), (2, 8, 12)), ("AdaptiveMaxPool1d", (3,), (2, 3, 8)),
    ("AdaptiveMaxPool2d", ((2, None),), (2, 3, 5, 4)), ("LocalResponseNorm", (3, 0.1), (2, 5, 3, 3)),
    ("Softmax2d", (), (2, 4, 3, 3)), ("LPPool1d", (2, 3), (2, 3, 9)),
    ("LPPool2d", (1.5, (2, 3), 1, True), (2, 3, 4, 5)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "args", "shape"), LAYERS, ids=[layer[0] for layer in LAYERS])
def test_layer_matches_torch(name, args, shape, dtype):
    ours, theirs = getattr(nn, name)(*args), getattr(tnn, name)(*args)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    x = np.random.default_rng(0).permutation(np.prod(shape)).reshape(shape).astype(dtype) / 10 + 0.05
    ours_x, theirs_x = npnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(ours_x), theirs(theirs_x)
    tolerance = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-14}
    assert out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), **tolerance)
    grad = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    out.backward(npnn.tensor(grad))
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), **tolerance)


def test_adaptive_max_pool_return_indices_and_ties_as_torch():
    x = np.round(np.random.default_rng(2).standard_normal((2, 3, 7, 9)))  # many ties
    x[0, 0, :3, :3] = np.nan
    for out in ((3, 4), (7, 9), 2):
        values, indices = nn.AdaptiveMaxPool2d(out, return_indices=True)(npnn.tensor(x))
        expected_values, expected_indices = tnn.AdaptiveMaxPool2d(out, return_indices=True)(torch.tensor(x))
        np.testing.assert_array_equal(values.numpy(), expected_values.numpy())
        assert indices.dtype == np.int64
        np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
    values, indices = F.adaptive_max_pool1d(npnn.tensor(x[0]), 4, return_indices=True)
    expected_values, expected_indices = TF.adaptive_max_pool1d(torch.tensor(x[0]), 4, return_indices=True)
    np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
    np.testing.assert_array_equal(values.numpy(), expected_values.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bilinear_layer_state_dict_init_and_gradients(dtype):
    theirs = tnn.Bilinear(3, 4, 5, dtype=torch.float64 if dtype == np.float64 else torch.float32)
    ours = nn.Bilinear(3, 4, 5, dtype=dtype)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "bias"]
    assert ours.weight.shape == (5, 3, 4) and ours.weight.dtype == dtype
    bound = 1 / np.sqrt(3)  # torch's init: U(-1/√in1, 1/√in1) for weight and bias
    for tensor in (ours.weight, ours.bias):
        assert np.abs(tensor.numpy()).max() <= bound and np.abs(tensor.numpy()).max() > 0.6 * bound
    ours.load_state_dict({k: npnn.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((6, 3)).astype(dtype), rng.standard_normal((6, 4)).astype(dtype)
    out, expected = ours(npnn.tensor(a), npnn.tensor(b)), theirs(torch.tensor(a), torch.tensor(b))
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=rtol)
    out.sum().backward()
    expected.sum().backward()
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), getattr(theirs, name).grad.numpy(),
                                   rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)
    assert list(nn.Bilinear(3, 4, 5, bias=False).state_dict()) == ["weight"]


@pytest.mark.parametrize(("name", "feature"), [("AlphaDropout", False), ("FeatureAlphaDropout", True)])
def test_alpha_dropout_keeps_zero_mean_unit_variance_and_eval_is_identity(name, feature):
    npnn.manual_seed(0)
    x = npnn.tensor(np.random.default_rng(4).standard_normal((400, 64, 4, 4)))
    layer = getattr(nn, name)(0.2)
    out = layer(x).numpy()
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1) < 0.02  # the point of alpha dropout
    dropped = np.isclose(out, -1.7580993408473766 / np.sqrt((1.7580993408473766 ** 2 * 0.2 + 1) * 0.8)
                         + 1.7580993408473766 / np.sqrt((1.7580993408473766 ** 2 * 0.2 + 1) * 0.8) * 0.2)
    assert 0.18 < dropped.mean() < 0.22
    if feature:  # whole channels dropped together
        per_channel = dropped.reshape(400, 64, -1)
        assert np.all(per_channel.all(-1) | ~per_channel.any(-1))
    layer.eval()
    assert layer(x) is x
    assert getattr(F, "feature_alpha_dropout" if feature else "alpha_dropout")(x, 0.5) is x  # training=False
    npnn.manual_seed(0)
    first = getattr(nn, name)(0.2)(x).numpy()
    npnn.manual_seed(0)
    np.testing.assert_array_equal(first, getattr(nn, name)(0.2)(x).numpy())  # seeded: repeatable


def test_alpha_dropout_gradient_is_the_kept_scale_and_p_one_gives_zeros():
    x = npnn.tensor(np.random.default_rng(5).standard_normal((50, 20)), requires_grad=True)
    out = F.alpha_dropout(x, 0.3, training=True)
    out.sum().backward()
    a = 1 / np.sqrt((1.7580993408473766 ** 2 * 0.3 + 1) * 0.7)
    assert set(np.unique(np.round(x.grad.numpy(), 12))) <= {0.0, round(a, 12)}
    np.testing.assert_array_equal(F.alpha_dropout(x, 1.0, training=True).numpy(),
                                  TF.alpha_dropout(torch.tensor(x.numpy()), 1.0, training=True).numpy())


ERRORS = [
    ("pixel_shuffle", lambda lib, x: lib.pixel_shuffle(x, 2), (1, 3, 2, 2)),
    ("pixel_shuffle_2d", lambda lib, x: lib.pixel_shuffle(x, 2), (3, 4)),
    ("pixel_unshuffle_height", lambda lib, x: lib.pixel_unshuffle(x, 2), (1, 1, 3, 4)),
    ("pixel_unshuffle_zero", lambda lib, x: lib.pixel_unshuffle(x, 0), (1, 3, 4)),
    ("channel_shuffle", lambda lib, x: lib.channel_shuffle(x, 2), (1, 3, 2, 2)),
    ("channel_shuffle_2d", lambda lib, x: lib.channel_shuffle(x, 2), (3, 4)),
    ("channel_shuffle_groups", lambda lib, x: lib.channel_shuffle(x, 0), (2, 4, 3)),
    ("unfold_too_small", lambda lib, x: lib.unfold(x, 3), (1, 3, 2, 2)),
    ("fold_blocks", lambda lib, x: lib.fold(x, (3, 3), 2), (1, 12, 5)),
    ("fold_channels", lambda lib, x: lib.fold(x, (3, 3), 2), (1, 13, 4)),
    ("adaptive_max_pool2d_empty", lambda lib, x: lib.adaptive_max_pool2d(x, 2), (1, 3, 0, 4)),
    ("adaptive_max_pool2d_1d", lambda lib, x: lib.adaptive_max_pool2d(x, 2), (4,)),
    ("adaptive_max_pool1d_1d", lambda lib, x: lib.adaptive_max_pool1d(x, 2), (4,)),
    ("adaptive_max_pool1d_pair", lambda lib, x: lib.adaptive_max_pool1d(x, (2, 3)), (2, 3, 4)),
    ("local_response_norm_2d", lambda lib, x: lib.local_response_norm(x, 2), (2, 3)),
    ("alpha_dropout_p", lambda lib, x: lib.alpha_dropout(x, 1.5), (2, 3)),
    ("feature_alpha_dropout_1d", lambda lib, x: lib.feature_alpha_dropout(x, 0.5, True), (3,)),
    ("bilinear_in2", lambda lib, x: lib.bilinear(x, x, x.new_zeros(5, 3, 4)), (2, 3)),
]


@pytest.mark.parametrize(("name", "call", "shape"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_say_what_torch_says(name, call, shape):
    with pytest.raises(Exception) as theirs:
        call(TF, torch.zeros(shape))
    with pytest.raises(Exception) as ours:
        call(F, npnn.zeros(*shape))
    assert ours.type is theirs.type
    assert str(theirs.value) in str(ours.value)


def test_softmax2d_refuses_other_ranks_as_torch():
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
        nn.Softmax2d()(npnn.zeros(3, 4))
    with pytest.raises(ValueError, match=r"dropout probability has to be between 0 and 1, but got 1\.5"):
        nn.AlphaDropout(1.5)


def test_pixel_shuffle_unshuffle_round_trip_in_a_sub_pixel_net():
    """ESPCN's upsampling head: a convolution to C·r² channels, then PixelShuffle; trained
    steps equal torch's from the same weights."""
    from torch_training import assert_trains_as_pytorch

    def build(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(1, 4, 3, padding=1), lib.nn.PixelShuffle(2),
                                 lib.nn.PixelUnshuffle(2), lib.nn.ChannelShuffle(2), lib.nn.Flatten(),
                                 lib.nn.Linear(4 * 16, 3))

    rng = np.random.default_rng(6)
    assert_trains_as_pytorch(build, rng.standard_normal((5, 1, 4, 4)), rng.integers(0, 3, 5), steps=3)
