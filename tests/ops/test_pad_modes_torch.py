"""F.pad's modes against PyTorch: values and gradients over random shapes, widths (crops
included), ranks and dtypes, and the same errors with PyTorch's texts for what it refuses."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn.nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
TF = torch.nn.functional

MODES = ("constant", "reflect", "replicate", "circular")


def _draw(rng: np.random.Generator, mode: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A shape and widths that PyTorch pads in `mode` (most draws; the rest must raise alike)."""
    pairs = int(rng.integers(1, 4))
    ndim = pairs + int(rng.integers(1, 3)) if mode != "constant" else int(rng.integers(pairs, 5))
    shape = tuple(int(s) for s in rng.integers(1, 7, size=ndim))
    pad = tuple(int(p) for p in rng.integers(-2, 4, size=2 * pairs))
    return shape, pad


def _pad_both(x: np.ndarray, pad: tuple[int, ...], mode: str):
    """(npnn's result or error, torch's result or error) for the same input and call."""
    results = []
    for lib, make in ((F, npnn.tensor), (TF, torch.tensor)):
        tensor = make(x, requires_grad=x.dtype.kind == "f")
        try:
            results.append((tensor, lib.pad(tensor, pad, mode=mode)))
        except (RuntimeError, NotImplementedError, ValueError) as error:
            results.append((tensor, error))
    return results


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64], ids=["float64", "float32", "int64"])
@pytest.mark.parametrize("mode", MODES)
def test_values_and_gradients_match_torch(mode: str, dtype: type) -> None:
    rng = np.random.default_rng([MODES.index(mode), np.dtype(dtype).num])
    compared = refused = 0
    for _ in range(60):
        shape, pad = _draw(rng, mode)
        x = (rng.standard_normal(shape) * 10).astype(dtype)
        (ours_in, ours), (theirs_in, theirs) = _pad_both(x, pad, mode)
        if isinstance(theirs, Exception):
            assert type(ours) is type(theirs), (shape, pad, ours, theirs)
            refused += 1
            continue
        if isinstance(ours, Exception):  # PyTorch reads memory it never wrote in these: see pad()
            assert mode == "circular" and "wraps more than the" in str(ours), (shape, pad, ours)
            continue
        assert ours.shape == tuple(theirs.shape), (shape, pad)
        assert ours.dtype == theirs.detach().numpy().dtype
        np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy(), err_msg=str((shape, pad)))
        if x.dtype.kind == "f" and theirs.numel():  # an empty output: PyTorch's 3-D kernels leave garbage
            grad = rng.standard_normal(ours.shape).astype(dtype)
            ours.backward(npnn.tensor(grad))
            theirs.backward(torch.from_numpy(grad))
            np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy(), rtol=1e-5, atol=1e-5,
                                       err_msg=str((shape, pad)))
        compared += 1
    assert compared >= 20 and (mode == "constant" or refused), (compared, refused)


@pytest.mark.parametrize(("shape", "pad", "mode", "fragment"), [
    ((2, 3), (1, 2, 3), "constant", "Padding length must be divisible by 2"),
    ((2, 3), (1, 1, 1, 1, 1, 1), "constant", "padding length 6 and input of dimension 2"),
    ((2, 3), (1, 1), "mirror", "Unrecognised padding mode mirror"),
    ((5,), (1, 1), "reflect", "Padding size 2 is not supported for 1D input tensor"),
    ((1, 2, 3, 4), (1, 1), "replicate", "Padding size 2 is not supported for 4D input tensor"),
    ((2, 3, 4), (1, 1, 1, 1, 1, 1), "circular", "Padding size 6 is not supported for 3D input tensor"),
    ((1, 2, 4, 5), (1, 1, 4, 0), "reflect", "Argument #6: Padding size should be less than the "
     "corresponding input dimension, but got: padding (4, 0) at dimension 2 of input [1, 2, 4, 5]"),
    ((2, 3, 4), (-5, 5), "reflect", "padding (-5, 5) at dimension 2 of input [2, 3, 4]"),
    ((2, 3, 4), (5, 0), "circular", "Padding value causes wrapping around more than once"),
    ((2, 3, 4), (-3, -2), "circular", "Negative padding value is resulting in an empty dimension"),
    ((2, 3, 4), (-2, -2), "replicate", "input (W: 4) is too small. Calculated output W: 0"),
    ((1, 2, 4, 5), (-5, 0, -4, 0), "reflect", "input (H: 4, W: 5) is too small. Calculated output H: 0 W: 0"),
    ((2, 0, 4), (1, 1), "reflect", "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and "
     "other non-zero dimensions for input, but got: [2, 0, 4]"),
    ((2, 3, 4), (-3, -2), "constant", "narrow(): length must be non-negative."),
])
def test_errors_as_torch(shape: tuple[int, ...], pad: tuple[int, ...], mode: str, fragment: str) -> None:
    x = np.ones(shape)
    (_, ours), (_, theirs) = _pad_both(x, pad, mode)
    assert isinstance(theirs, Exception), f"PyTorch pads {shape} by {pad} in {mode!r}"
    assert type(ours) is type(theirs)
    assert fragment in str(ours), str(ours)
    assert fragment.split(" (")[0] in str(theirs).replace(", W", " W")  # the same words as PyTorch's


def test_value_only_with_constant_and_bool_as_torch() -> None:
    x = npnn.ones(2, 3, 4)
    with pytest.raises(RuntimeError, match="Padding mode \"reflect\" doesn't take in value argument"):
        F.pad(x, (1, 1), mode="reflect", value=1.0)
    assert F.pad(x, (1, 1), mode="reflect", value=0.0).shape == (2, 3, 6)  # 0 is accepted, as PyTorch
    flags = npnn.tensor(np.ones((1, 2, 3), dtype=bool))
    with pytest.raises(NotImplementedError, match="\"reflection_pad1d\" not implemented for 'Bool'"):
        F.pad(flags, (1, 1), mode="reflect")
    theirs = TF.pad(torch.ones(1, 2, 3, dtype=torch.bool), (1, 1), mode="circular")
    np.testing.assert_array_equal(F.pad(flags, (1, 1), mode="circular").numpy(), theirs.numpy())


def test_border_gradients_sum_every_copy() -> None:
    """Reflection copies position 1 twice into a width-3 pad of a size-4 dim (and 2 once): the
    gradient there is 1 + its copies, summed, not overwritten."""
    x = npnn.zeros(1, 1, 4, requires_grad=True)
    F.pad(x, (3, 3), mode="reflect").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [2, 3, 3, 2])
    x = npnn.zeros(1, 4, requires_grad=True)
    F.pad(x, (5, 2), mode="replicate").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().ravel(), [6, 1, 1, 3])
