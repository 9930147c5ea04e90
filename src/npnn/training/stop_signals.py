"""Stop signals: Ctrl-C, `kill` (SIGTERM) and a closed terminal (SIGHUP) all stop training the
same way, after the step in progress and resumable.

A signal ignored when the handlers are installed stays ignored: `nohup` ignores SIGHUP, and a
shell ignores SIGINT for a job it starts in the background, so that they survive a logout or
a Ctrl-C meant for the foreground. The handlers only record the signal and ask the trainer to
stop; a signal handler prints nothing (a write to a terminal that hung up raises EIO, out of
whatever line training was on).
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, name))

Handler = Callable[[int, Any], Any]


class StopSignals:
    """While entered: the first stop signal is recorded (`signal`; 0 for none) and asks `trainer`
    (the one in progress, if any) to stop after its step; a second Ctrl-C raises
    KeyboardInterrupt, which aborts the step at once."""

    def __init__(self, trainer: Any = None) -> None:
        self.signal = 0
        self.trainer = trainer
        self.previous: dict[int, Any] = {}

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.signal and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal = self.signal or signum
        if self.trainer is not None:
            self.trainer.request_stop()

    def __enter__(self) -> StopSignals:
        self.previous = install(self)
        return self

    def __exit__(self, *exc: object) -> None:
        restore(self.previous)


def install(handler: Handler) -> dict[int, Any]:
    """Make `handler` the handler of each stop signal that is not ignored now; returns the
    handlers it replaced, for `restore`."""
    return {number: signal.signal(number, handler) for number in STOP_SIGNALS
            if signal.getsignal(number) != signal.SIG_IGN}


def restore(previous: dict[int, Any]) -> None:
    for number, handler in previous.items():
        signal.signal(number, handler)


def signal_name(number: int) -> str:
    """SIGTERM for 15; 'signal N' for a number that names no signal."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
