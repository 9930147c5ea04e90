"""DataLoader: batches as Tensors, order a pure function of (seed, epoch), resumable mid-epoch."""

from __future__ import annotations

import numpy as np
import pytest

from npnn import Tensor
from npnn.data import ArrayDataset, DataLoader


def make_dataset(n: int = 10) -> ArrayDataset:
    return ArrayDataset(np.arange(n, dtype=np.float32)[:, None] * np.ones(3, np.float32), np.arange(n) % 10)


def labels_of(batches: object) -> list[list[int]]:
    return [y.array.tolist() for _, y in batches]  # type: ignore[attr-defined]


def test_batches_are_tensors_in_order() -> None:
    loader = DataLoader(make_dataset(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    x, y = batches[0]
    assert isinstance(x, Tensor) and isinstance(y, Tensor)
    assert x.shape == (4, 3) and x.dtype == np.float32 and y.dtype == np.int64
    assert not x.requires_grad
    assert labels_of(batches) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_drop_last() -> None:
    loader = DataLoader(make_dataset(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and labels_of(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(make_dataset(8), batch_size=4, drop_last=True)) == 2
    assert len(DataLoader(make_dataset(3), batch_size=4, drop_last=True)) == 0


def test_shuffle_depends_only_on_seed_and_epoch() -> None:
    a = DataLoader(make_dataset(50), batch_size=7, shuffle=True, seed=3)
    b = DataLoader(make_dataset(50), batch_size=7, shuffle=True, seed=3)
    first = labels_of(a)  # epoch 0; the loader advances to epoch 1
    assert first == labels_of(b.iter_from(0))
    assert labels_of(a) == labels_of(b.iter_from(1)) != first
    b.set_epoch(0)
    assert labels_of(b) == first
    assert labels_of(DataLoader(make_dataset(50), 7, shuffle=True, seed=4).iter_from(0)) != first
    ids = np.concatenate([x.array[:, 0] for x, _ in a.iter_from(0)])
    assert sorted(ids.tolist()) == list(range(50)) and ids.tolist() != list(range(50))


def test_iter_from_is_the_tail_of_the_epoch() -> None:
    loader = DataLoader(make_dataset(23), batch_size=5, shuffle=True, seed=1)
    full = labels_of(loader.iter_from(2))
    assert labels_of(loader.iter_from(2, 3)) == full[3:]
    assert labels_of(loader.iter_from(2, len(loader))) == []
    assert loader.epoch == 0  # iter_from does not move the epoch


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1, got 0"),
        ({"batch_size": 2.5}, TypeError, "batch_size must be an int, got float"),
        ({"batch_size": True}, TypeError, "batch_size must be an int, got bool"),
        ({"batch_size": 2, "seed": -1}, ValueError, "seed must be >= 0"),
        ({"batch_size": 2, "shuffle": 1}, TypeError, "shuffle must be a bool"),
        ({"batch_size": 2, "drop_last": "yes"}, TypeError, "drop_last must be a bool"),
    ],
)
def test_argument_validation(kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        DataLoader(make_dataset(), **kwargs)  # type: ignore[arg-type]


def test_epoch_and_start_batch_validation() -> None:
    loader = DataLoader(make_dataset(10), batch_size=4)
    with pytest.raises(ValueError, match="start_batch must be <= 3"):
        loader.iter_from(0, 4)
    with pytest.raises(ValueError, match="epoch must be >= 0"):
        loader.set_epoch(-1)
    with pytest.raises(TypeError, match="dataset must support len"):
        DataLoader(object(), batch_size=1)  # type: ignore[arg-type]
