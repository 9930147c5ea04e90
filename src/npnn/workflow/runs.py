"""Train, resume and test runs from Python: what `npnn train` and `npnn test` do, returning a Run.

The same Trainer, run directories and evaluation as the CLI, so a run made here is a run the CLI
can resume, test, plot and report, and the other way round.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from npnn.report.sources import Run, load_run
from npnn.training import RunCompleteError, TrainConfig, Trainer
from npnn.training.evaluation import evaluate_run
from npnn.training.reporter import Reporter
from npnn.training.run_dir import COMPLETE
from npnn.workflow.progress import ProgressBar


def _reporter(progress: bool) -> Reporter:
    return ProgressBar() if progress else Reporter()


def train(config: TrainConfig | dict[str, Any] | None = None, out: str | Path = "runs",
          run_id: str | None = None, *, test: bool = True, progress: bool = True, **settings: Any) -> Run:
    """Train a new run under `out`, as `npnn train`, and return it read back.

    `config` is a TrainConfig or a dict of its settings; keyword `settings` go over it
    (`train(epochs=2, train_subset=5000)`); a `"model": "cnn"` dict gets the CNN's defaults, as
    `npnn train --model cnn` does. With `test`, the best checkpoint is tested on the test split
    (test.json, `run.test`). `progress` shows a bar per epoch (a widget in Jupyter). A run that
    diverges or is interrupted (Ctrl-C, the notebook's stop button) is still returned: its
    `status` says so, and `resume(run.path)` continues an interrupted one.
    """
    values = config.to_dict() if isinstance(config, TrainConfig) else dict(config or {})
    trainer = Trainer.create(TrainConfig.from_dict({**values, **settings}), out, run_id,
                             reporter=_reporter(progress))
    return _fit(trainer, test)


def resume(path: str | Path, *, test: bool = True, progress: bool = True, force: bool = False,
           **overrides: Any) -> Run:
    """Continue a stopped run exactly where it stopped, as `npnn train --resume`; a run that is
    already complete is returned as it is. `overrides` change settings of the run (with `force`,
    as `npnn train --resume --force`)."""
    try:
        trainer = Trainer.resume(path, reporter=_reporter(progress), force=force,
                                 overrides=overrides or None)
    except RunCompleteError:
        return load_run(path)
    return _fit(trainer, test)


def _fit(trainer: Trainer, test: bool) -> Run:
    with trainer:
        result = trainer.fit()
    if test and result.best is not None and result.status in COMPLETE:
        evaluate_run(result.run_dir, "test")
    return load_run(result.run_dir)


def test(run: Run | str | Path, split: str = "test", data_dir: str | None = None) -> dict[str, Any]:
    """Evaluate the run's best checkpoint on `split`, as `npnn test`: the report (accuracy, loss,
    per-class accuracy, confusion matrix) written to test.json (val.json) and returned; a Run
    given keeps a test report in `run.test`."""
    report = evaluate_run(run.path if isinstance(run, Run) else run, split, data_dir)
    if isinstance(run, Run) and split == "test":
        run.test = report
    return report


test.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
