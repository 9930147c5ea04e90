"""Run a search from Python: what `npnn search` does, returning the Search it made.

The same Optuna study, search directory and search_result.csv as the CLI: a search started
here continues with `npnn search` (same settings, same --out), and the other way round.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from npnn.report.sources import Search, load_search
from npnn.search import SearchOptions, SearchSpace, run_search, search_options
from npnn.search.study import DEFAULT_TRIALS
from npnn.workflow.progress import TrialBar


def search(space: SearchSpace | str = "original-2", out: str | Path | None = None, *,
           trials: int | None = None, progress: bool = True, **options: Any) -> Search:
    """Run (or continue) a search, as `npnn search`, and return it read back (`.results` is the
    table of trials, `.best()` the best by validation accuracy). The arguments are those of
    `search_options`; `progress` shows a bar over the trials (a widget in Jupyter)."""
    settings = search_options(space, out, trials, **options)
    bar = TrialBar(_total(settings)) if progress else None
    try:
        result = run_search(settings, echo=bar)
    finally:
        if bar is not None:
            bar.close()
    if result["signal"]:
        raise KeyboardInterrupt(f"search stopped by signal {result['signal']}: the trials in progress are "
                                "queued again; run the same search again to continue")
    return load_search(settings.out)


def _total(options: SearchOptions) -> int | None:
    """Trials the bar counts up to: --trials, else the grid's points (all of them: a continued
    search's bar starts at 0 and stops short)."""
    if options.trials is not None:
        return options.trials
    return options.space.grid_size() if options.sampler_name == "grid" else DEFAULT_TRIALS
