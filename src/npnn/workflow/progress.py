"""Progress bars for the Python API: a widget in Jupyter, a text bar elsewhere (tqdm's auto mode).

Only bars: the Trainer's log lines go to the run's train.log, and library code prints nothing.
"""

from __future__ import annotations

import warnings
from typing import Any

from tqdm import TqdmWarning

from npnn.training.reporter import Reporter

with warnings.catch_warnings():  # Jupyter without ipywidgets: a text bar, not a warning at import
    warnings.simplefilter("ignore", TqdmWarning)
    from tqdm.auto import tqdm

POSTFIX_EVERY = 20  # steps between loss updates of the bar (a widget redraw is not free)


class ProgressBar(Reporter):
    """One bar per epoch, its postfix the latest training loss and validation accuracy."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.steps = 0

    def epoch_started(self, epoch: int, epochs: int, steps: int, start: int) -> None:
        self.bar = tqdm(total=steps, initial=start, desc=f"epoch {epoch + 1}/{epochs}", unit="step",
                        leave=epoch + 1 == epochs)

    def step_done(self, loss: float) -> None:
        self.steps += 1
        if self.bar is not None:
            self.bar.update(1)
            if self.steps % POSTFIX_EVERY == 0:
                self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    def evaluated(self, record: Any, improved: bool) -> None:
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{record.train_loss:.4f}", val_acc=f"{record.val_accuracy:.2%}")

    def epoch_done(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class TrialBar:
    """A search's bar: one tick per finished trial, its postfix the runner's line about it."""

    def __init__(self, total: int | None) -> None:
        self.bar = tqdm(total=total, desc="search", unit="trial")

    def __call__(self, line: str) -> None:
        self.bar.update(1)
        self.bar.set_postfix_str(line.strip()[:80])

    def close(self) -> None:
        self.bar.close()
