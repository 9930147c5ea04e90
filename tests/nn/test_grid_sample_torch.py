"""grid_sample and affine_grid against PyTorch beyond the op table: points off the image, exact
half pixels, inf and NaN in the grid, error texts, the align_corners warning, and a spatial
transformer (PyTorch's STN tutorial in small) trained for a few steps as torch trains it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import npnn
from npnn.nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
TF = torch.nn.functional
from torch_training import assert_trains_as_pytorch  # noqa: E402

MODES = [(mode, padding, align) for mode in ("bilinear", "nearest")
         for padding in ("zeros", "border", "reflection") for align in (False, True)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("mode", "padding_mode", "align_corners"), MODES)
def test_values_and_gradients_far_outside_and_on_half_pixels(mode, padding_mode, align_corners, dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 2, 5, 7)).astype(dtype)
    spread = rng.uniform(-3.5, 3.5, (3, 4, 6, 2))  # up to several images away, reflected many times
    halves = (np.arange(3 * 4 * 6 * 2).reshape(3, 4, 6, 2) % 9 - 4) / 7  # exact and near half pixels
    grid = np.where(rng.random((3, 4, 6, 1)) < 0.5, spread, halves).astype(dtype)
    grad_output = rng.standard_normal((3, 2, 4, 6)).astype(dtype)
    ours_x, ours_g = npnn.tensor(x, requires_grad=True), npnn.tensor(grid, requires_grad=True)
    theirs_x, theirs_g = torch.tensor(x, requires_grad=True), torch.tensor(grid, requires_grad=True)
    ours = F.grid_sample(ours_x, ours_g, mode, padding_mode, align_corners)
    theirs = TF.grid_sample(theirs_x, theirs_g, mode, padding_mode, align_corners)
    tolerance = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-12}
    assert ours.dtype == dtype
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), **tolerance)
    ours.backward(npnn.tensor(grad_output))
    theirs.backward(torch.tensor(grad_output))
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), **tolerance)
    np.testing.assert_allclose(ours_g.grad.numpy(), theirs_g.grad.numpy(), **tolerance)


@pytest.mark.parametrize(("mode", "padding_mode"), [(m, p) for m in ("bilinear", "nearest")
                                                    for p in ("zeros", "border", "reflection")])
def test_inf_and_nan_in_the_grid_read_as_in_pytorch(mode, padding_mode):
    x = np.arange(24.0).reshape(2, 1, 3, 4)
    grid = np.array([[np.nan, 0.0], [0.0, np.inf], [-np.inf, 0.5], [0.25, -1 / 3]] * 2).reshape(2, 1, 4, 2)
    ours = F.grid_sample(npnn.tensor(x), npnn.tensor(grid), mode, padding_mode, align_corners=False)
    theirs = TF.grid_sample(torch.tensor(x), torch.tensor(grid), mode, padding_mode, align_corners=False)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)  # NaN where torch's


def test_align_corners_none_warns_as_pytorch_and_means_false():
    x, theta = np.random.default_rng(0).standard_normal((1, 1, 3, 3)), np.eye(2, 3)[None] * 0.7
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        grid = F.affine_grid(npnn.tensor(theta), [1, 1, 3, 3])
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        out = F.grid_sample(npnn.tensor(x), grid)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = TF.grid_sample(torch.tensor(x), TF.affine_grid(torch.tensor(theta), [1, 1, 3, 3]))
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)


@pytest.mark.parametrize("size", [[2, 3, 1, 4], [2, 1, 5, 1], [2, 3, 1, 1], [2, 2, 6, 3]])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_sizes_and_gradient(size, align_corners):
    theta = np.random.default_rng(3).standard_normal((2, 2, 3))
    ours_t, theirs_t = npnn.tensor(theta, requires_grad=True), torch.tensor(theta, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # align_corners with a unit size warns, in both
        ours = F.affine_grid(ours_t, size, align_corners)
        theirs = TF.affine_grid(theirs_t, size, align_corners)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-15)
    weights = np.random.default_rng(4).standard_normal(ours.shape)
    (ours * npnn.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours_t.grad.numpy(), theirs_t.grad.numpy(), rtol=1e-12)


def _messages(call_ours, call_theirs):
    with pytest.raises(Exception) as ours:
        call_ours()
    with pytest.raises(Exception) as theirs:
        call_theirs()
    return ours, theirs


@pytest.mark.parametrize("wrong", ["mode", "padding_mode", "batch", "last_dim", "empty", "dtype"])
def test_grid_sample_errors_say_what_pytorch_says(wrong):
    x, grid = np.zeros((2, 3, 4, 5), np.float32), np.zeros((2, 4, 5, 2), np.float32)
    kwargs = {"align_corners": False}
    if wrong in ("mode", "padding_mode"):
        kwargs[wrong] = "bicubical"
    elif wrong == "batch":
        grid = grid[:1]
    elif wrong == "last_dim":
        grid = grid[..., :1]
    elif wrong == "empty":
        x = x[:, :, :0]
    else:
        grid = grid.astype(np.float64)
    ours, theirs = _messages(lambda: F.grid_sample(npnn.tensor(x), npnn.tensor(grid), **kwargs),
                             lambda: TF.grid_sample(torch.tensor(x), torch.tensor(grid), **kwargs))
    assert ours.type is theirs.type
    assert str(theirs.value) in str(ours.value)


def test_refusals_name_what_to_use_instead():
    x, grid = npnn.zeros(1, 1, 3, 3), npnn.zeros(1, 2, 2, 2)
    with pytest.raises(NotImplementedError, match="'bicubic' is not implemented in npnn; use 'bilinear'"):
        F.grid_sample(x, grid, mode="bicubic", align_corners=False)
    with pytest.raises(NotImplementedError, match="5-D"):
        F.grid_sample(npnn.zeros(1, 1, 2, 3, 3), npnn.zeros(1, 2, 2, 2, 3), align_corners=False)
    with pytest.raises(NotImplementedError, match="3-D affine grids"):
        F.affine_grid(npnn.zeros(1, 3, 4), [1, 1, 2, 2, 2], align_corners=False)


@pytest.mark.parametrize(("theta", "size"), [(np.zeros((2, 3, 3)), [2, 3, 4, 4]),
                                             (np.zeros((2, 2, 3), np.int64), [2, 3, 4, 4]),
                                             (np.zeros((2, 2, 3)), [2, 3, 0, 4]),
                                             (np.zeros((2, 2, 3)), [2, 3, 4])])
def test_affine_grid_errors_say_what_pytorch_says(theta, size):
    ours, theirs = _messages(lambda: F.affine_grid(npnn.tensor(theta), size, align_corners=False),
                             lambda: TF.affine_grid(torch.tensor(theta), size, align_corners=False))
    assert ours.type is theirs.type
    expected = str(theirs.value).replace("torch.Size", "npnn.Size").replace("torch.int64", "npnn.int64")
    assert expected in str(ours.value)


def _spatial_transformer(lib):
    """The STN tutorial's shape in small: a localization net regresses theta, the input is
    resampled through affine_grid + grid_sample, then classified."""
    functional = lib.nn.functional

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.localization = lib.nn.Linear(36, 6)
            self.classifier = lib.nn.Linear(36, 3)

        def forward(self, x):
            theta = self.localization(x.flatten(1)).reshape(-1, 2, 3)
            grid = functional.affine_grid(theta, list(x.shape), align_corners=False)
            return self.classifier(functional.grid_sample(x, grid, align_corners=False).flatten(1))

    net = Net()
    if lib is torch:  # the tutorial's start: the identity transform, every point on a pixel centre
        with torch.no_grad():
            net.localization.weight.zero_()
            net.localization.bias.copy_(torch.tensor([1.0, 0, 0, 0, 1, 0]))
    return net


def test_spatial_transformer_trains_as_pytorch():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((8, 1, 6, 6)), rng.integers(0, 3, 8)
    torch.manual_seed(0)
    assert_trains_as_pytorch(_spatial_transformer, x, y, steps=4, rtol=1e-9)
