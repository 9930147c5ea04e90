"""A tqdm progress bar for training: shown on a terminal, silent otherwise or with --quiet.

The Trainer's log lines are echoed to stdout, all but the one it writes once the last epoch is
done (finished, early stopped, interrupted, diverged): `npnn train` says how the run ended
itself, from the FitResult, so that line would be said twice. Should the reader of stdout go
away (`npnn train | head -1`), training goes on to its end with stdout discarded.
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm

from npnn.cli.errors import discard_stdout
from npnn.training.reporter import Reporter

POSTFIX_EVERY = 20


class TqdmReporter(Reporter):
    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.show_bar = not quiet and sys.stderr.isatty()
        self.bar: Any = None
        self.steps = 0
        self.held: list[str] = []  # lines logged after an epoch ended: said only if another begins
        self.between_epochs = False

    def epoch_started(self, epoch: int, epochs: int, steps: int, start: int) -> None:
        self._release()
        if self.show_bar:
            self.bar = tqdm(total=steps, initial=start, desc=f"epoch {epoch + 1}/{epochs}",
                            leave=False, dynamic_ncols=True, unit="step")

    def step_done(self, loss: float) -> None:
        self.steps += 1
        if self.bar is not None:
            self.bar.update(1)
            if self.steps % POSTFIX_EVERY == 0:
                self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    def epoch_done(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        self.between_epochs = True

    def message(self, text: str) -> None:
        if self.quiet:
            return
        if self.between_epochs:
            self.held.append(text)
        else:
            _write(text)

    def _release(self) -> None:
        """Another epoch begins: what was logged since the last one was not the closing line."""
        self.between_epochs = False
        for text in self.held:
            _write(text)
        self.held.clear()


def _write(text: str) -> None:
    try:
        tqdm.write(text, file=sys.stdout)
    except BrokenPipeError:
        discard_stdout()  # a broken pipe is no reason to lose the run
