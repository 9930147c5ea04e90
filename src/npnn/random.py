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
        self.manual_seed(_fresh_seed() if seed is None else seed)

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        if not -(2**63) <= seed < 2**64:
            raise ValueError(f"Overflow when unpacking long long: seed {seed} is outside [-2**63, 2**64)")
        self._initial_seed = seed % 2**64  # as PyTorch: a negative seed wraps around
        self._rng = np.random.default_rng(self._initial_seed)
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; return the new seed."""
        self.manual_seed(_fresh_seed())
        return self._initial_seed

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._initial_seed

    @property
    def numpy(self) -> np.random.Generator:
        """The underlying `numpy.random.Generator`."""
        return self._rng

    def get_state(self) -> dict[str, Any]:
        return self._rng.bit_generator.state

    def set_state(self, state: dict[str, Any]) -> None:
        self._rng.bit_generator.state = state


def _fresh_seed() -> int:
    """A non-deterministic 64-bit seed, as PyTorch's `seed()` draws."""
    return int(np.random.SeedSequence().generate_state(1, np.uint64)[0])


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator used by init, dropout, factories and shuffling."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the global generator from the operating system's entropy; return that seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The global generator's last seed (from `manual_seed`, `seed`, or drawn at import)."""
    return default_generator.initial_seed()


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
