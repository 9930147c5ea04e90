"""Mini-batches as Tensors, in an order that is a pure function of (seed, epoch).

Because the order depends on nothing else, a resumed run calls `iter_from(epoch, k)` and
sees exactly the batches an uninterrupted run would have, without saving RNG state.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import numpy as np

from npnn._tensor import Tensor


class IndexableDataset(Protocol):
    """What DataLoader needs: a length, and `dataset[index_array] -> (images, labels)` in one gather."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: np.ndarray) -> tuple[Any, Any]: ...


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got bool {value}")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


class DataLoader:
    """Iterate `(images, labels)` Tensor batches of `dataset`.

    With `shuffle`, epoch e uses the permutation drawn from seed sequence (seed, e).
    Iterating the loader runs epoch `self.epoch` and then advances it by one, so plain
    `for` loops reshuffle each epoch; `set_epoch` pins the epoch explicitly.
    """

    def __init__(
        self,
        dataset: IndexableDataset,
        batch_size: int,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int = 0,
        augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
    ) -> None:
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"dataset must support len() and indexing, got {type(dataset).__name__}")
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"{name} must be a bool, got {type(flag).__name__} {flag!r}")
        self.dataset = dataset
        self.batch_size = _check_int("batch_size", batch_size, 1)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = _check_int("seed", seed, 0)
        self.augment = augment
        self.epoch = 0

    def __len__(self) -> int:
        """Number of batches per epoch."""
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration run epoch `epoch` (its shuffle order)."""
        self.epoch = _check_int("epoch", epoch, 0)

    def order(self, epoch: int) -> np.ndarray:
        """The sample indices of epoch `epoch`, in the order batches take them."""
        epoch = _check_int("epoch", epoch, 0)
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng([self.seed, epoch]).permutation(n)

    def iter_from(self, epoch: int, start_batch: int = 0) -> Iterator[tuple[Tensor, Tensor]]:
        """Batches `start_batch`, `start_batch + 1`, ... of epoch `epoch`; does not change `self.epoch`."""
        start_batch = _check_int("start_batch", start_batch, 0)
        if start_batch > len(self):
            raise ValueError(f"start_batch must be <= {len(self)} (batches per epoch), got {start_batch}")
        order = self.order(epoch)
        return self._batches(epoch, order, start_batch)

    def _batches(self, epoch: int, order: np.ndarray, start_batch: int) -> Iterator[tuple[Tensor, Tensor]]:
        for b in range(start_batch, len(self)):
            images, labels = self.dataset[order[b * self.batch_size : (b + 1) * self.batch_size]]
            if self.augment is not None:
                # seeded by position, like the shuffle, so a resumed run sees the same batches
                images = self.augment(images, np.random.default_rng([self.seed, epoch, b, 1]))
            yield Tensor(images), Tensor(labels)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        epoch = self.epoch
        self.epoch += 1
        return self.iter_from(epoch)

    def __repr__(self) -> str:
        return (
            f"DataLoader({len(self.dataset)} samples, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}, seed={self.seed}, epoch={self.epoch})"
        )
