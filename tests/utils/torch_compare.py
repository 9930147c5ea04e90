"""Compare an npnn batch structure with torch's: same containers, shapes, dtypes and values."""

from __future__ import annotations

from typing import Any

import numpy as np

import npnn


def assert_same(ours: Any, theirs: Any, torch: Any, where: str = "batch") -> None:
    """Tensors must match torch's in shape, dtype and values; containers in type and layout."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, npnn.Tensor), f"{where}: {type(ours).__name__}, torch gives a Tensor"
        expected = theirs.numpy()
        actual = np.asarray(ours)
        assert actual.shape == expected.shape, f"{where}: shape {actual.shape} vs torch {expected.shape}"
        assert actual.dtype == expected.dtype, f"{where}: dtype {actual.dtype} vs torch {expected.dtype}"
        np.testing.assert_array_equal(actual, expected, err_msg=where)
        return
    assert type(ours) is type(theirs), f"{where}: {type(ours).__name__} vs torch {type(theirs).__name__}"
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), f"{where}: keys {list(ours)} vs torch {list(theirs)}"
        for key in theirs:
            assert_same(ours[key], theirs[key], torch, f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs), f"{where}: {len(ours)} entries vs torch {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same(a, b, torch, f"{where}[{i}]")
    else:
        assert ours == theirs, f"{where}: {ours!r} vs torch {theirs!r}"
