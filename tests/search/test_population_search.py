"""A grid whose trials share a layout trains them as one population: the same results per trial
as training them one by one."""

from dataclasses import replace
from pathlib import Path

import pytest
from grids import small_space

from npnn.search import read_csv, run_search
from npnn.search.space import Param


def _populations(options):
    """How many runs of the search say in train.log that they trained in a population."""
    return sum("in a population of" in (Path(run) / "train.log").read_text()
               for run in (options.out / "runs").iterdir())


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_grid_trained_in_populations_gives_the_results_of_one_by_one(options, jobs):
    space = small_space(extra_lr=(1e30,))  # one point diverges: it fails alone, the others go on
    space.params.append(Param("seed", (0, 1)))
    together = replace(options, space=space, jobs=jobs, population_size=3)
    alone = replace(options, space=space, out=options.out.parent / "alone", population_size=1)
    run_search(together)
    run_search(alone)
    # workers taking points from one queue may leave a population short, or a point alone
    assert _populations(together) == 12 if jobs == 1 else _populations(together) > 0
    assert _populations(alone) == 0
    rows = read_csv(together.out / "search_result.csv")
    assert len(rows) == 12 and sum(row["state"] == "fail" for row in rows) == 4
    expected = read_csv(alone.out / "search_result.csv")
    ours = sorted((row["learning_rate"], row["regularization"], row["regular_strength"], row["state"],
                   row["val_accuracy"], row["accuracy"], row["no"]) for row in rows)
    theirs = sorted((row["learning_rate"], row["regularization"], row["regular_strength"], row["state"],
                     row["val_accuracy"], row["accuracy"], row["no"]) for row in expected)
    assert ours == theirs


def test_population_size_must_be_positive(options):
    with pytest.raises(ValueError, match="--population-size"):
        run_search(replace(options, population_size=0))
