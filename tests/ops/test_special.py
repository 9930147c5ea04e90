"""The vectorised erf/erfc behind exact GELU, against Python's math.erf/erfc on a dense grid
that covers every interval of the approximation, the tails, tiny and non-finite inputs."""

from __future__ import annotations

import math
import pathlib

import numpy as np
import pytest

import npnn
from npnn.ops import special

ULP = np.finfo(np.float64).eps

GRID = np.concatenate([
    np.linspace(-30.0, 30.0, 200_001),
    np.geomspace(1e-300, 1.0, 3000), -np.geomspace(1e-300, 1.0, 3000),
    [0.0, -0.0, 0.46875, -0.46875, np.nextafter(0.46875, 1.0), 4.0, -4.0, np.nextafter(4.0, 5.0),
     26.5, 27.3, -27.3, 1e300, -1e300],
])


def _relative_error(ours: np.ndarray, reference: np.ndarray) -> np.ndarray:
    finite = reference != 0
    return np.abs(ours[finite] - reference[finite]) / np.abs(reference[finite])


def test_erf_within_a_few_ulp_of_math_erf() -> None:
    reference = np.array([math.erf(v) for v in GRID])
    ours = special.erf(GRID)
    assert _relative_error(ours, reference).max() < 4 * ULP  # about 1e-15
    assert (ours[GRID == 0] == 0).all()


def test_erfc_within_a_few_ulp_of_math_erfc_down_to_underflow() -> None:
    reference = np.array([math.erfc(v) for v in GRID])
    ours = special.erfc(GRID)
    normal = reference > np.finfo(np.float64).tiny  # subnormal results lose precision in any libm
    assert _relative_error(ours[normal], reference[normal]).max() < 10 * ULP
    np.testing.assert_array_equal(ours[reference == 0], 0.0)


@pytest.mark.parametrize(("x", "erf", "erfc"), [
    (np.inf, 1.0, 0.0), (-np.inf, -1.0, 2.0), (np.nan, np.nan, np.nan),
])
def test_non_finite_inputs(x: float, erf: float, erfc: float) -> None:
    np.testing.assert_array_equal(special.erf(np.array([x])), [erf])
    np.testing.assert_array_equal(special.erfc(np.array([x])), [erfc])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_float_dtype_are_kept(dtype) -> None:
    x = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    for fn, reference in ((special.erf, math.erf), (special.erfc, math.erfc)):
        out = fn(x)
        assert out.shape == (3, 4) and out.dtype == dtype
        expected = np.array([reference(v) for v in x.reshape(-1).astype(np.float64)]).reshape(3, 4)
        np.testing.assert_allclose(out, expected.astype(dtype), rtol=8 * np.finfo(dtype).eps)
    assert special.erf(np.zeros((0, 2))).shape == (0, 2)
    assert special.erf(np.float64(0.5)).shape == ()


def test_gelu_exact_is_accurate_in_both_tails() -> None:
    x = npnn.tensor([-40.0, -12.0, -5.0, 0.0, 5.0, 12.0], dtype=npnn.float64)
    cdf = np.array([0.5 * math.erfc(v * -math.sqrt(0.5)) for v in x.tolist()])
    np.testing.assert_allclose(npnn.nn.functional.gelu(x).numpy(), x.numpy() * cdf, rtol=1e-14,
                               atol=0)


def test_cupy_is_imported_only_by_the_backend() -> None:
    source = pathlib.Path(npnn.__file__).parent
    importers = sorted(
        str(path.relative_to(source)) for path in source.rglob("*.py")
        if "import cupy" in path.read_text() or "from cupy" in path.read_text()
    )
    assert importers == ["backend.py"]
