"""Global grad mode, as torch's: context managers that also work as decorators.

`no_grad()`, `enable_grad()` and `inference_mode()` change the mode for a `with` block;
`set_grad_enabled(mode)` changes it at once (it may also be used with `with`, which
restores the previous mode on exit). Each decorates a function, with or without
parentheses for those that take no arguments (`@no_grad` and `@no_grad()`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

_grad_enabled = True


def is_grad_enabled() -> bool:
    return _grad_enabled


def _set(mode: bool) -> None:
    global _grad_enabled
    _grad_enabled = mode


class _GradMode:
    """Sets grad mode to `enabled` inside a `with` block; also usable as a decorator."""

    enabled: bool

    def __new__(cls, func: Any = None) -> Any:
        instance = super().__new__(cls)
        if callable(func):  # bare decorator: @no_grad
            return instance(func)
        return instance

    def __init__(self, func: Any = None) -> None:
        pass

    def __enter__(self) -> None:
        self._previous = _grad_enabled
        _set(self.enabled)

    def __exit__(self, *exc: object) -> None:
        _set(self._previous)

    def _fresh(self) -> _GradMode:
        """A new manager of the same mode, so that nested or recursive calls each restore theirs."""
        return type(self)()

    def __call__(self, func: _F) -> _F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Operations inside record no graph: for evaluation and in-place parameter updates."""

    enabled = False


class enable_grad(_GradMode):
    """Turn graph recording back on inside a `no_grad` block."""

    enabled = True


class inference_mode(_GradMode):
    """Like `no_grad` (npnn has no separate inference tensors); `inference_mode(False)` changes nothing."""

    def __new__(cls, mode: Any = True) -> Any:
        instance = object.__new__(cls)
        if callable(mode):  # bare decorator: @inference_mode
            instance.__init__()
            return instance(mode)
        return instance

    def __init__(self, mode: Any = True) -> None:
        self.mode = bool(mode) if not callable(mode) else True

    def __enter__(self) -> None:
        self._previous = _grad_enabled
        if self.mode:
            _set(False)

    def _fresh(self) -> _GradMode:
        return inference_mode(self.mode)


class set_grad_enabled(_GradMode):
    """Set grad mode to `mode` now; used with `with`, the previous mode comes back on exit."""

    def __new__(cls, mode: bool) -> Any:
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        self._previous = _grad_enabled
        self.enabled = bool(mode)
        _set(self.enabled)

    def __enter__(self) -> None:
        _set(self.enabled)  # the mode was set by the constructor; _previous is from before it

    def __call__(self, func: _F) -> _F:
        _set(self._previous)  # as a decorator, creating it must not change the mode
        return super().__call__(func)

    def _fresh(self) -> _GradMode:
        previous = _grad_enabled
        manager = set_grad_enabled(self.enabled)
        manager._previous = previous
        return manager
