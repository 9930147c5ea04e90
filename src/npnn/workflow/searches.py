"""Run a search from Python: what `npnn search` does, returning the Search it made.

The same Optuna study, search directory and search_result.csv as the CLI: a search started
here continues with `npnn search` (same settings, same --out), and the other way round.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from npnn.report.sources import Search, load_search
from npnn.search import SearchOptions, SearchSpace, load_space, preset, run_search
from npnn.search.study import DEFAULT_TRIALS
from npnn.workflow.progress import TrialBar


def search_options(space: SearchSpace | str = "original-2", out: str | Path | None = None,
                   trials: int | None = None, jobs: int = 1, sampler: str | None = None, seed: int = 0,
                   prune: bool = False, storage: str | None = None, study: str = "npnn-search",
                   max_grid: int | None = None, **overrides: Any) -> SearchOptions:
    """The SearchOptions of `npnn search`: `space` a preset's name, a TOML file (*.toml) or a
    SearchSpace; `out` defaults to searches/<name>; `overrides` are fixed settings of every
    trial (epochs=1, train_subset=3000), checked against the space's first point (ConfigError)."""
    if isinstance(space, SearchSpace):
        name, source = "search", space.description or "a SearchSpace"
    elif str(space).endswith(".toml"):
        name, source, space = Path(space).stem, str(space), load_space(str(space))
    else:
        name, source, space = str(space), str(space), preset(str(space))
    first = {p.name: p.labels()[0] if p.choices else p.low for p in space.params}
    space.config(first, overrides)
    return SearchOptions(out=Path(out) if out is not None else Path("searches") / name, space=space,
                         space_source=source, sampler=sampler, seed=seed, trials=trials, jobs=jobs,
                         prune=prune, storage=storage, study=study, overrides=overrides,
                         **({} if max_grid is None else {"max_grid": max_grid}))


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
