"""DataLoader as in `torch.utils.data`: batches from a map-style or iterable dataset.

Differences from PyTorch, each on purpose:
- everything loads in the main process: `num_workers > 0` is accepted (code written for torch
  runs unchanged) but starts no workers, so `worker_init_fn` is never called, `timeout` is not
  waited on and `get_worker_info()` is None; an IterableDataset is therefore read once, never
  once per worker;
- `pin_memory`, `pin_memory_device`, `multiprocessing_context` and `in_order` are accepted and
  ignored (there is no device memory to pin and no worker to order);
- a TensorDataset (or a Subset of one) with the default collate_fn is batched with one
  fancy-index per tensor instead of indexing item by item and stacking: the same values.

The workflow's own loader, `npnn.data.DataLoader`, is separate: it replays a resumed run's
batches exactly from (seed, epoch).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from npnn import random
from npnn.utils.data.collate import default_collate, default_convert
from npnn.utils.data.dataset import Dataset, IterableDataset, Subset, TensorDataset
from npnn.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

# attributes torch refuses to change once the loader exists
_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


def get_worker_info() -> None:
    """Always None: npnn's DataLoader loads in the main process (see the module docstring)."""
    return None


def _gatherer(dataset: Any) -> Callable[[Sequence[int]], Any] | None:
    """A one-gather batch function giving what default_collate of the items gives, or None.

    Exact types only: a subclass may override `__getitem__`.
    """
    if type(dataset) is TensorDataset:
        return dataset.gather
    if type(dataset) is Subset:
        inner = _gatherer(dataset.dataset)
        if inner is not None:
            return lambda indices: inner([dataset.indices[i] for i in indices])
    return None


def _check_worker_options(num_workers: int, timeout: float, prefetch_factor: int | None,
                          persistent_workers: bool) -> int | None:
    """Torch's checks of the worker options (kept though no worker starts); the prefetch factor."""
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; "
                         "use num_workers=0 to disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                         "let num_workers > 0 to enable multiprocessing, otherwise set "
                         "prefetch_factor to None.")
    if num_workers > 0 and prefetch_factor is None:
        prefetch_factor = 2
    elif prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    return prefetch_factor


class DataLoader:
    """Iterate batches of `dataset` (arguments, defaults and argument errors as torch's)."""

    def __init__(
        self,
        dataset: Dataset[Any] | Iterable[Any],
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler[Any] | Iterable[Any] | None = None,
        batch_sampler: Sampler[list[int]] | Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: random.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        prefetch_factor = _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler "
                                 f"option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive "
                             "with drop_last")

        if sampler is None and not self._iterable:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle  # type: ignore[arg-type]
                       else SequentialSampler(dataset))  # type: ignore[arg-type]
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)  # type: ignore[arg-type]

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.collate_fn = collate_fn or (default_convert if batch_size is None and batch_sampler is None
                                         else default_collate)
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_initialized", False) and name in _FROZEN:
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_size is not None or self.batch_sampler is not None

    def __iter__(self) -> Iterator[Any]:
        if self._iterable:
            return self._iterable_batches()
        if not self._auto_collation:
            return (self.collate_fn(self.dataset[index]) for index in self.sampler)  # type: ignore[index,union-attr]
        return self._map_batches()

    def _map_batches(self) -> Iterator[Any]:
        dataset: Any = self.dataset
        gather = _gatherer(dataset) if self.collate_fn is default_collate else None
        get_items = getattr(dataset, "__getitems__", None)
        for indices in self.batch_sampler:  # type: ignore[union-attr]
            if gather is not None:
                yield gather(indices)
            elif get_items is not None:
                yield self.collate_fn(get_items(indices))
            else:
                yield self.collate_fn([dataset[i] for i in indices])

    def _iterable_batches(self) -> Iterator[Any]:
        items = iter(self.dataset)  # type: ignore[arg-type]
        if not self._auto_collation:
            yield from (self.collate_fn(item) for item in items)
            return
        while batch := list(itertools.islice(items, self.batch_size)):
            if self.drop_last and len(batch) < self.batch_size:  # type: ignore[operator]
                return
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        """Batches per pass (for an IterableDataset, from its `len()`, as torch estimates it)."""
        if self._iterable:
            n = len(self.dataset)  # type: ignore[arg-type]
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        sampler = self.batch_sampler if self._auto_collation else self.sampler
        return len(sampler)  # type: ignore[arg-type]
