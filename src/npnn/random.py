"""Random number generation: one global generator that `manual_seed` resets.

Init, dropout, `randn`/`rand` and data shuffling all draw from `default_generator`
unless given a `Generator`, so one seed makes a run reproducible.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Generator:
    """A seedable random source, like `torch.Generator`, backed by NumPy's PCG64."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)

    def manual_seed(self, seed: int) -> Generator:
        self._rng = np.random.default_rng(seed)
        return self

    @property
    def numpy(self) -> np.random.Generator:
        """The underlying `numpy.random.Generator`."""
        return self._rng

    def get_state(self) -> dict[str, Any]:
        return self._rng.bit_generator.state

    def set_state(self, state: dict[str, Any]) -> None:
        self._rng.bit_generator.state = state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator used by init, dropout, factories and shuffling."""
    return default_generator.manual_seed(seed)


def get_rng_state() -> dict[str, Any]:
    return default_generator.get_state()


def set_rng_state(state: dict[str, Any]) -> None:
    default_generator.set_state(state)


def resolve(generator: Generator | np.random.Generator | None) -> np.random.Generator:
    """The NumPy generator to draw from: the given one, or the global default."""
    if generator is None:
        return default_generator.numpy
    if isinstance(generator, Generator):
        return generator.numpy
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"generator must be npnn.Generator or numpy.random.Generator, got {type(generator)}")
