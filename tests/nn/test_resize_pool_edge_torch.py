"""Resizing and average pooling against PyTorch CPU where a dense-matrix formulation goes wrong:
float64 nearest picks, integer dtypes (uint8 bilinear in PyTorch's fixed point), inf/NaN that
must stay in the windows that read them (in forward and backward), and memory that must grow
with the output, not with in x out."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import npnn
import npnn.nn.functional as F

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
TF = torch.nn.functional


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nearest_picks_torchs_pixels_in_float64_and_float32(dtype) -> None:
    """Sizes on both sides of 128 outputs (where PyTorch's float64 arithmetic changes)."""
    for size in (*range(2, 60, 3), 149, 248):
        x = np.arange(size, dtype=dtype).reshape(1, 1, size, 1)
        for factor in (0.3, 0.45, 0.7, 1.3, 2.7, 3.3):
            if int(size * factor) == 0:
                continue
            expected = TF.interpolate(torch.tensor(x), scale_factor=(factor, 1.0)).numpy()
            ours = F.interpolate(npnn.tensor(x), scale_factor=(factor, 1.0)).numpy()
            np.testing.assert_array_equal(ours, expected, err_msg=f"size {size}, x{factor}")
        for out in (size + 7, 3 * size - 1, 342):
            expected = TF.interpolate(torch.tensor(x), size=(out, 1)).numpy()
            np.testing.assert_array_equal(F.interpolate(npnn.tensor(x), size=(out, 1)).numpy(), expected,
                                          err_msg=f"size {size} -> {out}")
    line = np.arange(149, dtype=dtype).reshape(1, 1, 149)
    np.testing.assert_array_equal(F.interpolate(npnn.tensor(line), scale_factor=2.7).numpy(),
                                  TF.interpolate(torch.tensor(line), scale_factor=2.7).numpy())


def test_integer_input_nearest_as_torch() -> None:
    x = np.random.default_rng(0).integers(0, 256, (2, 3, 5, 7)).astype(np.uint8)
    expected = TF.interpolate(torch.tensor(x), scale_factor=1.7)
    ours = F.interpolate(npnn.tensor(x), scale_factor=1.7)
    assert ours.dtype == np.uint8
    np.testing.assert_array_equal(ours.numpy(), expected.numpy())


@pytest.mark.parametrize("channels", [3, 5])  # PyTorch's vectorized (C <= 4) and generic kernels
def test_uint8_bilinear_rounds_in_fixed_point_as_torch(channels) -> None:
    """Exact uint8 values, where computing in float and rounding is off by one in places.
    (Outputs of size 1 on both axes at once are left out: PyTorch's generic kernel repeats a row there.)"""
    rng = np.random.default_rng(channels)
    calls = [{"scale_factor": f} for f in (1.7, 2.0, 0.6, 3.1, (1.0, 2.5), (0.45, 1.0))]
    calls += [{"size": s} for s in ((5, 11), (13, 6), (29, 2))]
    for shape in ((2, channels, 7, 9), (1, channels, 13, 6)):
        x = rng.integers(0, 256, shape).astype(np.uint8)
        for kwargs in calls:
            for corners in (False, True):
                expected = TF.interpolate(torch.tensor(x), mode="bilinear", align_corners=corners, **kwargs)
                ours = F.interpolate(npnn.tensor(x), mode="bilinear", align_corners=corners, **kwargs)
                assert ours.dtype == np.uint8
                np.testing.assert_array_equal(ours.numpy(), expected.numpy(), err_msg=f"{shape} {kwargs}")
    floats = TF.interpolate(torch.tensor(x).double(), scale_factor=1.7, mode="bilinear").numpy()
    assert not np.array_equal(np.round(floats), F.interpolate(npnn.tensor(x), scale_factor=1.7,
                                                              mode="bilinear").numpy())


def test_integer_dtypes_torch_refuses_raise_its_error() -> None:
    for dtype, mode, shape in ((np.int64, "bilinear", (1, 1, 3, 3)), (np.int32, "nearest", (1, 1, 3, 3)),
                               (np.int64, "linear", (1, 1, 3)), (np.uint8, "linear", (1, 1, 3))):
        z = np.zeros(shape, dtype)
        with pytest.raises(NotImplementedError) as theirs:
            TF.interpolate(torch.tensor(z), scale_factor=2, mode=mode)
        with pytest.raises(NotImplementedError) as ours_error:
            F.interpolate(npnn.tensor(z), scale_factor=2, mode=mode)
        assert str(ours_error.value) == str(theirs.value)


def _non_finite(shape) -> np.ndarray:
    x = np.random.default_rng(1).standard_normal(shape)
    flat = x.reshape(-1)
    flat[[1, 7, 8, len(flat) // 2, len(flat) - 1]] = [np.nan, np.inf, -np.inf, np.inf, np.nan]
    return x


CASES = [
    ("nearest x2", (2, 3, 4, 5), lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2)),
    ("nearest x1.7", (2, 3, 4, 5), lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=1.7)),
    ("bilinear x1.7", (2, 3, 4, 5),
     lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=1.7, mode="bilinear")),
    ("bilinear corners", (2, 3, 4, 5),
     lambda lib, x: lib.nn.functional.interpolate(x, size=(7, 3), mode="bilinear", align_corners=True)),
    ("bilinear, width kept", (2, 3, 4, 5),  # PyTorch still adds the kept axis' neighbour · 0
     lambda lib, x: lib.nn.functional.interpolate(x, size=(7, 5), mode="bilinear")),
    ("bilinear, same size", (2, 3, 4, 5),
     lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=1.1, mode="bilinear")),
    ("linear", (2, 3, 9), lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=0.6, mode="linear")),
    ("avg_pool2d", (2, 3, 6, 6), lambda lib, x: lib.nn.functional.avg_pool2d(x, 2)),
    ("avg_pool2d padded", (2, 3, 6, 5),
     lambda lib, x: lib.nn.functional.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)),
    ("adaptive_avg_pool2d", (2, 3, 7, 5), lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, 3)),
    ("AvgPool1d", (2, 3, 10), lambda lib, x: lib.nn.AvgPool1d(3, 2)(x)),
]


@pytest.mark.parametrize("shape,call", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_inf_and_nan_stay_local_as_torch(shape, call) -> None:
    x = _non_finite(shape)
    theirs_x, ours_x = torch.tensor(x, requires_grad=True), npnn.tensor(x, requires_grad=True)
    theirs, ours = call(torch, theirs_x), call(npnn, ours_x)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert np.isfinite(ours.numpy()).any()
    grad = np.random.default_rng(2).standard_normal(theirs.shape)
    grad.reshape(-1)[[0, 3]] = [np.inf, np.nan]
    theirs.backward(torch.tensor(grad)), ours.backward(npnn.tensor(grad))
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert np.isfinite(ours_x.grad.numpy()).any()


@pytest.mark.parametrize("mode", ["linear", "nearest"])
def test_resize_memory_grows_with_the_output(mode) -> None:
    """(2, 4, 8000) -> 16000: a dense (out x in) matrix alone would be 1 GB in float64."""
    x = npnn.tensor(np.random.default_rng(3).standard_normal((2, 4, 8000)), requires_grad=True)
    tracemalloc.start()
    try:
        y = F.interpolate(x, scale_factor=2, mode=mode)
        y.sum().backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * y.numpy().nbytes, peak
    expected = TF.interpolate(torch.tensor(x.numpy()), scale_factor=2, mode=mode)
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-12)
