"""npnn.utils.data samplers: orders, lengths, reproducibility, argument errors."""

from __future__ import annotations

import pytest

import npnn
from npnn.utils.data import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

DATA = list(range(10))


def test_sequential() -> None:
    assert list(SequentialSampler(DATA)) == DATA and len(SequentialSampler(DATA)) == 10


def test_random_is_a_permutation_reproducible_from_the_global_seed() -> None:
    npnn.manual_seed(0)
    first = list(RandomSampler(DATA))
    npnn.manual_seed(0)
    assert list(RandomSampler(DATA)) == first
    assert sorted(first) == DATA and first != DATA
    assert list(RandomSampler(DATA, generator=npnn.Generator(2))) == list(
        RandomSampler(DATA, generator=npnn.Generator(2)))


def test_random_num_samples_and_replacement() -> None:
    more = list(RandomSampler(DATA, num_samples=25, generator=npnn.Generator(0)))
    assert len(more) == 25 and sorted(more[:10]) == DATA and sorted(more[10:20]) == DATA
    drawn = list(RandomSampler(DATA, replacement=True, num_samples=100, generator=npnn.Generator(0)))
    assert len(drawn) == 100 and set(drawn) <= set(DATA) and len(set(drawn)) < 100
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(DATA, replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(DATA, num_samples=0)


def test_subset_random_and_weighted() -> None:
    picked = list(SubsetRandomSampler([3, 5, 7], generator=npnn.Generator(0)))
    assert sorted(picked) == [3, 5, 7]
    weighted = list(WeightedRandomSampler([0, 0, 1, 0], 20, generator=npnn.Generator(0)))
    assert weighted == [2] * 20
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler([[1, 2]], 2)


def test_batch_sampler() -> None:
    assert list(BatchSampler(DATA, 4, False)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert list(BatchSampler(DATA, 4, True)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(BatchSampler(DATA, 4, False)) == 3 and len(BatchSampler(DATA, 4, True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(DATA, True, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        BatchSampler(DATA, 2, 0)
