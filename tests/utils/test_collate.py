"""default_collate / default_convert: PyTorch's rules, checked against torch where installed."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from torch_compare import assert_same

import npnn
from npnn.utils.data import default_collate, default_convert

Point = namedtuple("Point", ["x", "y"])

# name -> samples built from a tensor factory (npnn.as_tensor or torch.as_tensor) and NumPy
CASES: dict[str, Callable[[Callable[[Any], Any]], list[Any]]] = {
    "tensors": lambda t: [t(np.arange(6, dtype=np.float32).reshape(2, 3) * i) for i in range(4)],
    "int64 tensors": lambda t: [t(np.array([i, -i])) for i in range(3)],
    "arrays": lambda t: [np.full((2, 2), i, dtype=np.uint8) for i in range(3)],
    "float64 arrays": lambda t: [np.linspace(0, 1, 3) * i for i in range(2)],
    "numpy scalars": lambda t: [np.float32(1.5), np.float32(2.5)],
    "numpy int scalars": lambda t: [np.int32(1), np.int32(7)],
    "ints": lambda t: [1, 2, 3],
    "floats": lambda t: [0.5, 1.25],
    "bools": lambda t: [True, False, True],
    "strings": lambda t: ["a", "bc"],
    "tuples": lambda t: [(i, float(i), t(np.array([i, i], dtype=np.float32))) for i in range(3)],
    "lists": lambda t: [[i, i + 1] for i in range(3)],
    "dicts": lambda t: [{"image": np.zeros((2, 2), np.float32) + i, "label": i, "name": f"s{i}"}
                        for i in range(2)],
    "namedtuples": lambda t: [Point(i, np.float64(i) / 2) for i in range(3)],
    "nested": lambda t: [({"a": [i, 2 * i]}, (np.int64(i),)) for i in range(2)],
}


def test_default_collate_rules_without_torch() -> None:
    images, labels, names = default_collate(
        [(np.full((2, 2), i, np.uint8), i, f"n{i}") for i in range(3)])
    assert images.shape == (3, 2, 2) and images.dtype == np.uint8 and np.asarray(images)[2, 0, 0] == 2
    assert labels.dtype == np.int64 and labels.tolist() == [0, 1, 2] and names == ["n0", "n1", "n2"]
    assert default_collate([0.5, 1.0]).dtype == np.float64
    assert default_collate([True, False]).dtype == np.bool_
    assert default_collate([Point(1, 2), Point(3, 4)]).x.tolist() == [1, 3]


@pytest.mark.parametrize("name", list(CASES))
def test_default_collate_matches_torch(name: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
    from torch.utils.data import default_collate as torch_collate

    assert_same(default_collate(CASES[name](npnn.as_tensor)), torch_collate(CASES[name](torch.as_tensor)),
                torch, name)


@pytest.mark.parametrize("name", ["tensors", "arrays", "tuples", "dicts", "namedtuples", "nested"])
def test_default_convert_matches_torch(name: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
    from torch.utils.data import default_convert as torch_convert

    ours, theirs = CASES[name](npnn.as_tensor)[0], CASES[name](torch.as_tensor)[0]
    assert_same(default_convert(ours), torch_convert(theirs), torch, name)


@pytest.mark.parametrize("batch, error", [
    ([np.array(["a", "b"]), np.array(["c", "d"])], TypeError),
    ([object(), object()], TypeError),
    ([[1, 2], [3]], RuntimeError),
])
def test_default_collate_errors_match_torch(batch: list[Any], error: type[Exception]) -> None:
    with pytest.raises(error) as ours:
        default_collate(batch)
    pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
    from torch.utils.data import default_collate as torch_collate

    with pytest.raises(error) as theirs:
        torch_collate(batch)
    assert str(ours.value).split(";")[0] == str(theirs.value).split(";")[0]
