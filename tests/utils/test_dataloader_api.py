"""npnn.utils.data.DataLoader: batching, shuffling from npnn's seed, in-process workers, fast path."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn.utils.data import DataLoader, IterableDataset, TensorDataset, get_worker_info


class Stream(IterableDataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


def tensor_dataset(n: int = 10) -> TensorDataset:
    return TensorDataset(npnn.as_tensor(np.arange(3 * n, dtype=np.float32).reshape(n, 3)), npnn.arange(n))


def labels(loader: DataLoader) -> list[list[int]]:
    return [batch[1].tolist() for batch in loader]


def test_batches_in_order_with_and_without_drop_last() -> None:
    dataset = tensor_dataset()
    assert labels(DataLoader(dataset, batch_size=4)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert labels(DataLoader(dataset, batch_size=4, drop_last=True)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(dataset, batch_size=4)) == 3 and len(DataLoader(dataset, batch_size=4,
                                                                          drop_last=True)) == 2
    features, _ = next(iter(DataLoader(dataset, batch_size=4)))
    assert features.shape == (4, 3) and features.dtype == np.float32


def test_shuffle_follows_manual_seed_and_generator() -> None:
    dataset = tensor_dataset(50)
    npnn.manual_seed(0)
    first = labels(DataLoader(dataset, batch_size=8, shuffle=True))
    npnn.manual_seed(0)
    assert labels(DataLoader(dataset, batch_size=8, shuffle=True)) == first
    order = [i for batch in first for i in batch]
    assert sorted(order) == list(range(50)) and order != list(range(50))
    loader = DataLoader(dataset, batch_size=8, shuffle=True, generator=npnn.Generator(1))
    assert labels(loader) != labels(loader)  # a new order each epoch
    assert labels(DataLoader(dataset, batch_size=8, shuffle=True, generator=npnn.Generator(1))) == labels(
        DataLoader(dataset, batch_size=8, shuffle=True, generator=npnn.Generator(1)))


def test_fast_path_gives_what_items_and_stacking_give(monkeypatch: pytest.MonkeyPatch) -> None:
    class ItemByItem(TensorDataset):  # a subclass: DataLoader must index it item by item
        pass

    dataset = tensor_dataset(9)
    slow_loader = DataLoader(ItemByItem(*dataset.tensors), batch_size=4)
    slow = [[np.asarray(t) for t in batch] for batch in slow_loader]

    def refuse(self, index):
        raise AssertionError("the TensorDataset fast path indexed an item")

    monkeypatch.setattr(TensorDataset, "__getitem__", refuse)
    fast = [[np.asarray(t) for t in batch] for batch in DataLoader(dataset, batch_size=4)]
    assert len(fast) == len(slow) == 3
    for a, b in zip(fast, slow, strict=True):
        for x, y in zip(a, b, strict=True):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)


def test_num_workers_load_in_process() -> None:
    seen = []

    class Spy(TensorDataset):
        def __getitem__(self, index):
            seen.append(get_worker_info())
            return super().__getitem__(index)

    dataset = Spy(*tensor_dataset(6).tensors)
    loader = DataLoader(dataset, batch_size=4, num_workers=2, pin_memory=True, persistent_workers=True)
    batches = labels(loader)
    assert batches == [[0, 1, 2, 3], [4, 5]] and seen == [None] * 6


def test_no_batching_and_iterable() -> None:
    assert list(DataLoader(list(range(3)), batch_size=None)) == [0, 1, 2]
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(TypeError):
        len(DataLoader(Stream(7), batch_size=3))  # no __len__, as torch


def test_frozen_attributes() -> None:
    loader = DataLoader(tensor_dataset(), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3


def test_getitems_fetches_a_batch_in_one_call() -> None:
    calls = []

    class Batched:
        def __len__(self) -> int:
            return 5

        def __getitem__(self, index: int) -> int:
            raise AssertionError("DataLoader should use __getitems__")

        def __getitems__(self, indices: list[int]) -> list[int]:
            calls.append(list(indices))
            return [10 * i for i in indices]

    assert [b.tolist() for b in DataLoader(Batched(), batch_size=2)] == [[0, 10], [20, 30], [40]]
    assert calls == [[0, 1], [2, 3], [4]]
