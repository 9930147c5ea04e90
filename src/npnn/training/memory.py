"""Refuse a run that cannot fit in memory before allocating it, naming the setting to lower
(or, for a run to resume, whose sizes cannot change, saying to free memory).

An estimate, not a measurement: float32 parameters with their gradients and optimizer moments,
plus the activations of one training batch and one evaluation batch. NumPy would otherwise
fail deep inside the model's constructor, or the machine would swap for hours.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from npnn.training.config import ConfigError, TrainConfig
from npnn.training.metrics import EVAL_BATCH_SIZE

FLOAT_BYTES = 4
TRAIN_IMAGES = 48_000  # the training split after the default 12,000 validation images
# copies per parameter: weights, gradient, two Adam moments (SGD's one buffer is fewer)
PARAMETER_COPIES = 4
# arrays per hidden unit and example in a training step: pre-activation, activation, dropout
# mask, and their gradients
ACTIVATION_COPIES = 6


def parameter_count(config: TrainConfig, inputs: int = 28 * 28, outputs: int = 10) -> int:
    sizes = [inputs, *config.hidden, outputs]
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in itertools.pairwise(sizes))


def estimate_bytes(config: TrainConfig) -> tuple[int, int]:
    """(bytes whatever the batch size: parameters, their optimizer state and an evaluation
    batch's activations; bytes per example of a training batch)."""
    parameters = parameter_count(config) * PARAMETER_COPIES * FLOAT_BYTES
    per_example = (28 * 28 + sum(config.hidden) + 10) * ACTIVATION_COPIES * FLOAT_BYTES
    return parameters + EVAL_BATCH_SIZE * per_example, per_example


def available_bytes() -> int | None:
    """Memory that can be allocated without swapping (Linux's MemAvailable); None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(config: TrainConfig, available: int | None = None) -> None:
    """ConfigError on hidden (or batch_size) when the run would need more memory than is available."""
    available = available_bytes() if available is None else available
    if available is None:
        return
    fixed, per_example = estimate_bytes(config)
    batch = _batch(config)
    if fixed + batch * per_example <= available:
        return
    if fixed + per_example > available:
        raise ConfigError("hidden", f"{config.hidden} needs about {_size(fixed)} of memory to train, "
                          f"and {_size(available)} is available; choose smaller layers")
    fits = (available - fixed) // per_example
    raise ConfigError("batch_size", f"{config.batch_size} needs about {_size(fixed + batch * per_example)} "
                      f"of memory with --hidden {' '.join(map(str, config.hidden))}, and "
                      f"{_size(available)} is available; choose at most {fits}")


class NotEnoughMemoryError(OSError):
    """A run to resume needs more memory than is free now (an OSError: the CLI prints one line,
    exit status 1)."""


def check_memory_to_resume(config: TrainConfig, run_path: str | Path,
                           available: int | None = None) -> None:
    """NotEnoughMemoryError when the run at `run_path` would need more memory than is available.

    Unlike `check_memory` it names no setting: the sizes (hidden, batch_size) are fixed for a
    run's life, so the fix is to free memory.
    """
    available = available_bytes() if available is None else available
    if available is None:
        return
    fixed, per_example = estimate_bytes(config)
    needed = fixed + _batch(config) * per_example
    if needed > available:
        raise NotEnoughMemoryError(f"{run_path} needs about {_size(needed)} of memory to continue, and "
                                   f"{_size(available)} is available; free memory (stop other programs), "
                                   f"then `npnn train --resume {run_path}` again")


def _batch(config: TrainConfig) -> int:
    """Examples in the largest training batch."""
    return min(config.batch_size, config.train_subset or TRAIN_IMAGES)


def _size(count: float) -> str:
    units = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB")
    index = 0
    while count >= 1024 and index < len(units) - 1:
        count /= 1024
        index += 1
    return f"{count:.1f} {units[index]}"
