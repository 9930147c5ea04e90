"""npnn.utils.data datasets and random_split: contents, lengths, errors."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn.utils.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)


class Squares(Dataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> int:
        return index * index


class Count(IterableDataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self) -> int:
        return self.n


def test_tensor_dataset_items_and_gather() -> None:
    x = npnn.as_tensor(np.arange(12, dtype=np.float32).reshape(6, 2))
    y = npnn.arange(6)
    dataset = TensorDataset(x, y)
    assert len(dataset) == 6
    row, label = dataset[4]
    assert row.tolist() == [8.0, 9.0] and label.item() == 4
    rows, labels = dataset.gather([5, 0, 3])
    assert rows.tolist() == [[10.0, 11.0], [0.0, 1.0], [6.0, 7.0]] and labels.tolist() == [5, 0, 3]
    assert rows.dtype == np.float32 and labels.dtype == np.int64


def test_tensor_dataset_size_mismatch_is_an_assertion_error_as_torch() -> None:
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(npnn.zeros(3, 2), npnn.zeros(4))


def test_subset_and_list_indexing() -> None:
    subset = Subset(Squares(10), [9, 2, 4])
    assert len(subset) == 3 and [subset[i] for i in range(3)] == [81, 4, 16]
    tensors = Subset(TensorDataset(npnn.arange(10)), [7, 1])
    assert tensors[[0, 1]][0].tolist() == [7, 1]


def test_concat_dataset_indices_and_errors() -> None:
    both = Squares(3) + Squares(2)
    assert isinstance(both, ConcatDataset) and len(both) == 5
    assert [both[i] for i in range(5)] == [0, 1, 4, 0, 1] and both[-1] == 1 and both[-5] == 0
    with pytest.raises(ValueError, match="absolute value of index"):
        both[-6]
    with pytest.raises(AssertionError, match="empty"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="IterableDataset"):
        ConcatDataset([Count(2)])


def test_chain_dataset() -> None:
    chained = Count(2) + Count(3)
    assert isinstance(chained, ChainDataset) and list(chained) == [0, 1, 0, 1, 2] and len(chained) == 5


def test_random_split_lengths_fractions_and_disjointness() -> None:
    dataset = Squares(10)
    parts = random_split(dataset, [0.5, 0.3, 0.2], generator=npnn.Generator(1))
    assert [len(p) for p in parts] == [5, 3, 2]
    indices = sorted(i for p in parts for i in p.indices)
    assert indices == list(range(10))
    uneven = random_split(Squares(11), [0.5, 0.5], generator=npnn.Generator(1))
    assert [len(p) for p in uneven] == [6, 5]  # the remainder goes round-robin from the first, as torch
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(dataset, [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 0"):
        random_split(dataset, [1.5, -0.5])


def test_random_split_follows_the_generator_and_the_global_seed() -> None:
    dataset = Squares(20)
    first = [p.indices for p in random_split(dataset, [10, 10], generator=npnn.Generator(3))]
    again = [p.indices for p in random_split(dataset, [10, 10], generator=npnn.Generator(3))]
    assert first == again
    npnn.manual_seed(5)
    seeded = [p.indices for p in random_split(dataset, [10, 10])]
    npnn.manual_seed(5)
    assert [p.indices for p in random_split(dataset, [10, 10])] == seeded
    assert seeded != list(range(10))
