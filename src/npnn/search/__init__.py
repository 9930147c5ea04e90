"""Hyperparameter search on Optuna: spaces, presets, the runner and the results table."""

from npnn.search.options import search_options
from npnn.search.presets import PRESETS, preset
from npnn.search.results import COLUMNS, ResultsError, read_csv, summary
from npnn.search.runner import run_search
from npnn.search.space import Param, SearchSpace, SpaceError, load_space
from npnn.search.study import SearchError, SearchOptions

__all__ = ["COLUMNS", "PRESETS", "Param", "ResultsError", "SearchError", "SearchOptions", "SearchSpace",
           "SpaceError", "load_space", "preset", "read_csv", "run_search", "search_options", "summary"]
