"""Reporter: how a Trainer tells the outside world about progress (silent by default)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from npnn.training.history import EvalRecord


class Reporter:
    """Hooks a Trainer calls; the base class ignores them. The CLI's shows a tqdm bar."""

    def epoch_started(self, epoch: int, epochs: int, steps: int, start: int) -> None:
        """An epoch (0-based) begins at batch `start` of `steps`."""

    def step_done(self, loss: float) -> None:
        """One optimizer step finished with this training loss."""

    def evaluated(self, record: EvalRecord, improved: bool) -> None:
        """A validation evaluation produced `record` (a new best if `improved`)."""

    def epoch_done(self) -> None:
        """The current epoch ended (or training stopped inside it)."""

    def message(self, text: str) -> None:
        """A line also written to train.log."""

    def ended(self, text: str) -> None:
        """The closing line of fit() (finished, stopped, interrupted, failed), also written to
        train.log; the CLI says how the run ended itself, so its reporter leaves this out."""
