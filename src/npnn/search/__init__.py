"""Hyperparameter search on Optuna: spaces, presets, the runner and the results table."""

from npnn.search.presets import PRESETS, preset
from npnn.search.results import COLUMNS, read_csv, summary
from npnn.search.runner import SearchError, SearchOptions, run_search
from npnn.search.space import Param, SearchSpace, SpaceError, load_space

__all__ = ["COLUMNS", "PRESETS", "Param", "SearchError", "SearchOptions", "SearchSpace", "SpaceError",
           "load_space", "preset", "read_csv", "run_search", "summary"]
