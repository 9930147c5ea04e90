"""Anomaly mode: when on, backward raises at the first node whose gradient holds a NaN."""

from __future__ import annotations

from typing import Any

# read by the engine once per node: a list, not a function call, to stay cheap when off
state = [False]


def is_anomaly_enabled() -> bool:
    return state[0]


def check(node: Any, input_grads: tuple[Any, ...]) -> None:
    """PyTorch's check: the node's name and which of its outputs (input gradients) is NaN."""
    for index, grad in enumerate(input_grads):
        if grad is not None and hasattr(grad, "dtype") and grad.dtype.kind in "fc" \
                and bool((grad != grad).any()):
            raise RuntimeError(f"Function '{node.name}Backward' returned nan values in its "
                               f"{index}th output.")


class set_detect_anomaly:
    """Turn anomaly detection on or off now; as a context manager, restore it on exit.

    Unlike PyTorch, no forward traceback is recorded: the error names the backward node.
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = state[0]
        state[0] = bool(mode) and check_nan

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        state[0] = self.prev


class detect_anomaly(set_detect_anomaly):
    """Context manager: anomaly detection on inside the block (PyTorch's `detect_anomaly`)."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self.prev = state[0]
        state[0] = self.check_nan
