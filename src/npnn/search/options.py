"""The options of a search from a space (a preset's name, a TOML file or a SearchSpace) and fixed
settings: what `npnn search` builds from its flags and npnn.workflow.search from its arguments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from npnn.search.presets import preset
from npnn.search.space import SearchSpace, load_space
from npnn.search.study import POPULATION_SIZE, SearchOptions


def search_options(space: SearchSpace | str = "original-2", out: str | Path | None = None,
                   trials: int | None = None, jobs: int = 1, sampler: str | None = None,
                   sampler_seed: int = 0, prune: bool = False, storage: str | None = None,
                   study: str = "npnn-search", max_grid: int | None = None, source: str | None = None,
                   population_size: int = POPULATION_SIZE, **overrides: Any) -> SearchOptions:
    """SearchOptions as `npnn search` makes them: `space` a preset's name, a TOML file (*.toml) or
    a SearchSpace (`source` names it in search.json); `out` defaults to searches/<name>;
    `overrides` are fixed settings of every trial (epochs=1, train_subset=3000, seed=1), checked
    against the space's first point (ConfigError naming the setting); `sampler_seed` seeds the
    random and TPE samplers; `population_size` trials of one layout train together (1: one by one)."""
    if isinstance(space, SearchSpace):
        name, source = "search", source or space.description or "a SearchSpace"
    elif str(space).endswith(".toml"):
        name, source, space = Path(space).stem, source or str(space), load_space(str(space))
    else:
        name, source, space = str(space), source or str(space), preset(str(space))
    first = {p.name: p.labels()[0] if p.choices else p.low for p in space.params}
    space.config(first, overrides)
    return SearchOptions(out=Path(out) if out is not None else Path("searches") / name, space=space,
                         space_source=source, sampler=sampler, seed=sampler_seed, trials=trials,
                         jobs=jobs, prune=prune, storage=storage, study=study, overrides=overrides,
                         population_size=population_size,
                         **({} if max_grid is None else {"max_grid": max_grid}))
