"""DataLoader against torch.utils.data.DataLoader: same batches without shuffling, same errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from torch_compare import assert_same

import npnn
import npnn.utils.data as ours

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
import torch.utils.data as theirs  # noqa: E402

X = np.arange(40, dtype=np.float32).reshape(10, 4)
Y = np.arange(10) % 3
# samples of plain Python / NumPy values: one list serves both libraries
RECORDS = [(i, i / 4, np.full(2, i, np.int32), {"name": f"r{i}"}) for i in range(7)]


def make_stream(module: Any, n: int) -> Any:
    class Stream(module.IterableDataset):
        def __iter__(self):
            return iter(range(n))

        def __len__(self) -> int:
            return n

    return Stream()


def dataset(module: Any, kind: str) -> Any:
    """The same data for npnn (module = npnn.utils.data) or torch (torch.utils.data)."""
    as_tensor = npnn.as_tensor if module is ours else torch.as_tensor
    if kind == "tensors":
        return module.TensorDataset(as_tensor(X), as_tensor(Y))
    return RECORDS if kind == "records" else make_stream(module, 11)


def loaders(kwargs: dict[str, Any], kind: str) -> tuple[Any, Any]:
    return (ours.DataLoader(dataset(ours, kind), **kwargs),
            theirs.DataLoader(dataset(theirs, kind), **kwargs))


@pytest.mark.parametrize("kind, kwargs", [
    ("tensors", {}),
    ("tensors", {"batch_size": 3}),
    ("tensors", {"batch_size": 3, "drop_last": True}),
    ("tensors", {"batch_size": None}),
    ("tensors", {"batch_size": 2, "sampler": [9, 0, 4]}),
    ("tensors", {"batch_sampler": [[1, 2], [5], [0, 9, 8]]}),
    ("tensors", {"batch_size": 4, "collate_fn": lambda batch: batch}),
    ("records", {"batch_size": 3}),
    ("records", {"batch_size": None}),
    ("iterable", {"batch_size": 4}),
    ("iterable", {"batch_size": 4, "drop_last": True}),
    ("iterable", {"batch_size": None}),
])
def test_same_batches_and_length(kind: str, kwargs: dict[str, Any]) -> None:
    mine, reference = loaders(kwargs, kind)
    assert len(mine) == len(reference)
    assert_same(list(mine), list(reference), torch, f"{kind} {kwargs}")


@pytest.mark.parametrize("kind, kwargs", [
    ("tensors", {"shuffle": True, "sampler": [0]}),
    ("tensors", {"batch_sampler": [[0]], "batch_size": 2}),
    ("tensors", {"batch_sampler": [[0]], "shuffle": True}),
    ("tensors", {"batch_sampler": [[0]], "sampler": [0]}),
    ("tensors", {"batch_sampler": [[0]], "drop_last": True}),
    ("tensors", {"batch_size": None, "drop_last": True}),
    ("tensors", {"batch_size": 0}),
    ("tensors", {"batch_size": 2, "drop_last": 1}),
    ("tensors", {"num_workers": -1}),
    ("tensors", {"timeout": -1}),
    ("tensors", {"prefetch_factor": 2}),
    ("tensors", {"num_workers": 1, "prefetch_factor": -1}),
    ("tensors", {"persistent_workers": True}),
    ("iterable", {"shuffle": True}),
    ("iterable", {"sampler": [0]}),
    ("iterable", {"batch_sampler": [[0]]}),
])
def test_same_argument_errors(kind: str, kwargs: dict[str, Any]) -> None:
    with pytest.raises(Exception) as reference:
        theirs.DataLoader(dataset(theirs, kind), **kwargs)
    with pytest.raises(type(reference.value)) as mine:
        ours.DataLoader(dataset(ours, kind), **kwargs)
    expected = str(reference.value).split(" but got ")[0]  # the reprs of the samplers differ
    assert str(mine.value).startswith(expected)


def test_loader_and_sampler_lengths_after_shuffle() -> None:
    mine, reference = loaders({"batch_size": 4, "shuffle": True}, "tensors")
    assert len(mine) == len(reference) == 3
    got = sorted(i for batch in mine for i in np.asarray(batch[0])[:, 0].tolist())
    assert got == sorted(X[:, 0].tolist())
