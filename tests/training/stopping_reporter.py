"""A reporter that stops a Trainer after a number of steps, as Ctrl-C does (for resume tests)."""

from __future__ import annotations

from typing import Any


class StopAfter:
    """Asks `self.trainer` to stop after `steps` steps; every other reporter hook does nothing."""

    def __init__(self, steps: int) -> None:
        self.steps, self.trainer = steps, None

    def step_done(self, loss: float) -> None:
        self.steps -= 1
        if self.steps == 0:
            self.trainer.request_stop()

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None
