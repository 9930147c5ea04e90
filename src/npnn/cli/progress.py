"""A tqdm progress bar for training: shown on a terminal, silent otherwise or with --quiet.

The Trainer's log lines are echoed to stdout, all but its closing line (`Reporter.ended`):
`npnn train` says how the run ended itself, from the FitResult or the error. Should the reader
of stdout go away (`npnn train | head -1`), or the terminal hang up (EIO), training goes on
with the output discarded: the terminal is no reason to lose the run.
"""

from __future__ import annotations

import contextlib
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

    def epoch_started(self, epoch: int, epochs: int, steps: int, start: int) -> None:
        if self.show_bar:
            self.bar = tqdm(total=steps, initial=start, desc=f"epoch {epoch + 1}/{epochs}",
                            leave=False, dynamic_ncols=True, unit="step")

    def step_done(self, loss: float) -> None:
        self.steps += 1
        if self.bar is not None:
            try:
                self.bar.update(1)
                if self.steps % POSTFIX_EVERY == 0:
                    self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            except OSError:  # the terminal hung up: no more bars
                self.bar, self.show_bar = None, False

    def epoch_done(self) -> None:
        if self.bar is not None:
            with contextlib.suppress(OSError):
                self.bar.close()
            self.bar = None

    def message(self, text: str) -> None:
        if not self.quiet:
            _write(text)


def _write(text: str) -> None:
    try:
        tqdm.write(text, file=sys.stdout)
    except OSError:  # a broken pipe, a terminal that hung up: no reason to lose the run
        discard_stdout()
