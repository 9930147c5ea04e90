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

from npnn.data.load import split_sizes
from npnn.training.config import ConfigError, TrainConfig
from npnn.training.metrics import EVAL_BATCH_SIZE

FLOAT_BYTES = 4
# copies per parameter: weights, gradient, two Adam moments (SGD's one buffer is fewer)
PARAMETER_COPIES = 4
# arrays per hidden unit and example in a training step: pre-activation, activation, dropout
# mask, and their gradients (for a CNN block: convolution output, normalized, activated, pooled)
ACTIVATION_COPIES = 6
# a convolution's im2col columns (C_in·k·k values per output pixel) and their gradient
COLUMN_COPIES = 2
SIDE = 28


def _conv_blocks(config: TrainConfig) -> list[tuple[int, int, int]]:
    """(in channels, out channels, image side) of each CNN convolution."""
    blocks, depth, side = [], 1, SIDE
    for out in config.channels:
        for _ in range(config.convs_per_block):
            blocks.append((depth, out, side))
            depth = out
        side //= 2
    return blocks


def _dense_sizes(config: TrainConfig, outputs: int) -> list[int]:
    """Widths of the dense layers' inputs and outputs, from the (flattened) image on."""
    if config.model != "cnn":
        return [SIDE * SIDE, *config.hidden, outputs]
    last_depth, side = config.channels[-1], SIDE >> len(config.channels)
    return [last_depth * side * side, *config.cnn_hidden, outputs]


def parameter_count(config: TrainConfig, outputs: int = 10) -> int:
    """Weights and biases of the model the config builds (batch norm's scale and shift count
    as the bias the convolution then lacks)."""
    area = config.kernel_size ** 2
    conv = sum((depth * area + 1) * out + (out if config.batch_norm else 0)
               for depth, out, _ in _conv_blocks(config)) if config.model == "cnn" else 0
    dense = _dense_sizes(config, outputs)
    return conv + sum((fan_in + 1) * fan_out for fan_in, fan_out in itertools.pairwise(dense))


def _values_per_example(config: TrainConfig, training: bool = True) -> int:
    """Activations one example keeps through a training step (or, without gradients and a graph,
    an evaluation: one copy of each), in values."""
    copies, columns = (ACTIVATION_COPIES, COLUMN_COPIES) if training else (1, 1)
    values = sum(_dense_sizes(config, 10)) * copies
    if config.model == "cnn":
        area = config.kernel_size ** 2
        values += sum(out * side * side * copies + depth * area * side * side * columns
                      for depth, out, side in _conv_blocks(config))
    return values


def estimate_bytes(config: TrainConfig) -> tuple[int, int]:
    """(bytes whatever the batch size: parameters, their optimizer state and an evaluation
    batch's activations; bytes per example of a training batch).

    Measured for the default CNN with tracemalloc: a training step at batch 128 peaks at 117 MiB
    (estimated 182 MiB), an evaluation batch of 2,000 at 651 MiB (estimated 797 MiB)."""
    parameters = parameter_count(config) * PARAMETER_COPIES * FLOAT_BYTES
    per_example = _values_per_example(config) * FLOAT_BYTES
    evaluation = _values_per_example(config, training=False) * FLOAT_BYTES
    return parameters + EVAL_BATCH_SIZE * evaluation, per_example


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
    sizes = "channels" if config.model == "cnn" else "hidden"
    if fixed + per_example > available:
        raise ConfigError(sizes, f"{getattr(config, sizes)} needs about {_size(fixed)} of memory to train, "
                          f"and {_size(available)} is available; choose smaller layers")
    fits = (available - fixed) // per_example
    raise ConfigError("batch_size", f"{config.batch_size} needs about {_size(fixed + batch * per_example)} "
                      f"of memory with --{sizes} {' '.join(map(str, getattr(config, sizes)))}, and "
                      f"{_size(available)} is available; choose at most {fits}")


class NotEnoughMemoryError(OSError):
    """A run to resume needs more memory than is free now (an OSError: the CLI prints one line,
    exit status 1)."""


def check_memory_to_resume(config: TrainConfig, run_path: str | Path,
                           available: int | None = None) -> None:
    """NotEnoughMemoryError when the run at `run_path` would need more memory than is available.

    Unlike `check_memory` it names no setting: the sizes (hidden, channels, batch_size) are fixed for a
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
    train_images = split_sizes(config.val_split, config.val_fraction)[0]
    return min(config.batch_size, config.train_subset or train_images)


def _size(count: float) -> str:
    units = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB")
    index = 0
    while count >= 1024 and index < len(units) - 1:
        count /= 1024
        index += 1
    return f"{count:.1f} {units[index]}"
