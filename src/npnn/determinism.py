"""`npnn.use_deterministic_algorithms`: PyTorch's switch, kept so scripts run.

Every npnn op is deterministic already (no atomics, no autotuning; the thread split of
`set_num_threads` is fixed for a given thread count), so the flag is recorded and changes nothing.
"""

from __future__ import annotations

_state = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the flag (npnn's ops are deterministic with it on or off)."""
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, bool):
            raise TypeError(f"_set_deterministic_algorithms(): argument '{name}'"
                            f"{' (position 1)' if name == 'mode' else ''} must be bool, "
                            f"not {type(value).__name__}")
    _state.update(mode=mode, warn_only=warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _state["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]
