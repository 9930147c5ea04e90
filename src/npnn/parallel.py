"""NumPy work split over threads, as PyTorch's CPU kernels split theirs.

NumPy runs each ufunc and copy on one core, but releases the GIL while it does, so the same
call on halves of the rows in two threads runs on two cores. The layers that move large arrays
outside BLAS (ReLU, max pooling, batch norm, the convolution's copies) hand their work to
`over_rows`; small arrays stay on the calling thread, where a hand-off would cost more than it saves.

The thread count follows PyTorch's: `set_num_threads(n)`, else OMP_NUM_THREADS, else the cores
this process may run on.
"""

from __future__ import annotations

import itertools
import operator
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

MIN_ELEMENTS_PER_THREAD = 1 << 15  # below this a thread's share costs more to hand off than to do

_threads: int | None = None  # set_num_threads' count; None: from the environment
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_lock = threading.Lock()


def get_num_threads() -> int:
    """The threads npnn's own kernels use (BLAS keeps its own count, OPENBLAS_NUM_THREADS)."""
    if _threads is not None:
        return _threads
    variable = os.environ.get("OMP_NUM_THREADS", "")
    if variable.isdigit() and int(variable) > 0:
        return int(variable)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def set_num_threads(threads: int) -> None:
    """Use `threads` threads in npnn's kernels (torch.set_num_threads; 1 turns the splitting off)."""
    global _threads
    try:
        count = operator.index(threads) if not isinstance(threads, bool) else 0
    except TypeError:
        count = 0
    if count < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {threads!r}")
    _threads = count


def over_rows(work: Callable[[slice], object], rows: int, elements: int, split: bool = True) -> list[object]:
    """Call `work(part)` for consecutive slices of range(rows) that together cover it, at once on
    up to get_num_threads() threads (the calling one among them), and return the parts' results
    in row order; `elements` is the size of the work in array elements, which decides how many
    threads are worth it. `split=False` (arrays that are not NumPy's: CuPy runs its own kernels)
    calls `work` once over all rows."""
    if not split or elements < 2 * MIN_ELEMENTS_PER_THREAD:  # one thread's work: no count to read
        return [work(slice(0, rows))]
    threads = min(get_num_threads(), rows, elements // MIN_ELEMENTS_PER_THREAD)
    if threads <= 1:
        return [work(slice(0, rows))]
    bounds = [rows * part // threads for part in range(threads + 1)]
    pool = _executor(threads - 1)
    first, *rest = (slice(start, stop) for start, stop in itertools.pairwise(bounds))
    others = [pool.submit(work, part) for part in rest]
    try:
        results = [work(first)]
    finally:
        results_of_others = [other.result() for other in others]  # waits for all; raises a part's error
    return results + results_of_others


def contiguous_copy(source: np.ndarray, axis: int = 0) -> np.ndarray:
    """np.ascontiguousarray(source), a copy split over threads along `axis` (for a transposed or
    strided view, whose copy NumPy runs element by element on one core)."""
    result = np.empty(source.shape, dtype=source.dtype)
    lead = (slice(None),) * axis

    def rows(part: slice) -> None:
        np.copyto(result[(*lead, part)], source[(*lead, part)])

    over_rows(rows, source.shape[axis], source.size)
    return result


def _executor(workers: int) -> ThreadPoolExecutor:
    """The pool, grown to `workers` threads where needed. A smaller pool is dropped, not shut down:
    another thread may be submitting to it; its idle threads end once it is collected."""
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < workers:
            _pool, _pool_size = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="npnn"), workers
        return _pool


def _forget_pool() -> None:
    """A forked child has none of the parent's threads: it starts a pool of its own when needed."""
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_forget_pool)
