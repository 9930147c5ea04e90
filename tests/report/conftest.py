"""A real (tiny) search on Fashion-MNIST with failed trials, searched once per test session."""

import pytest

from npnn.search import SearchOptions, run_search
from npnn.search.space import Param, SearchSpace

FIXED = {"batch_size": 100, "epochs": 2, "train_subset": 600, "eval_every": 3, "label_smoothing": 0.0}


def report_space() -> SearchSpace:
    """2 layouts × 2 learning rates × 2 regularizations × 2 dropouts; dropout 1.5 is invalid."""
    return SearchSpace([Param("hidden", ([16], [16, 8])), Param("lr", (0.003, 0.01)),
                        Param("regularization", ({"regularization": "none", "reg_strength": 0.0},
                                                 {"regularization": "l2", "reg_strength": 0.01})),
                        Param("dropout", (0.0, 1.5))],
                       fixed=dict(FIXED), sampler="grid", description="report test grid")


@pytest.fixture(scope="session")
def small_search(tmp_path_factory):
    """Search directory: 8 complete trials and 8 failed ones (invalid dropout)."""
    out = tmp_path_factory.mktemp("report") / "search"
    result = run_search(SearchOptions(out=out, space=report_space(), space_source="report-test"))
    assert result["complete"] == 8 and result["failed"] == 8
    return out
