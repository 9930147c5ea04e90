"""A grid whose trials share a layout trains them as one population: the same results per trial
as training them one by one."""

import signal
import time
from dataclasses import replace
from pathlib import Path

import pytest
from grids import small_space
from test_runner import _launch

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


def test_a_search_killed_while_a_population_trains_resumes_to_the_same_results(tmp_path, options):
    """SIGKILL at some moment of a population's training; the rerun queues its trials again,
    continues each member's run from its last checkpoint, and ends with the results of a search
    that ran one by one without a kill."""
    extra = (0.001, 0.002, 0.02)
    out = tmp_path / "killed"
    process = _launch(tmp_path, out, extra=extra, population_size=25)
    started = out / "runs" / "trial-0003" / "train.log"
    deadline = time.time() + 120
    while time.time() < deadline and not started.exists():
        time.sleep(0.02)
    time.sleep(0.3)
    process.send_signal(signal.SIGKILL)
    process.wait()
    rerun = _launch(tmp_path, out, extra=extra, population_size=25)
    _, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    alone = replace(options, space=small_space(extra_lr=extra), out=tmp_path / "alone", population_size=1)
    run_search(alone)
    ours = {_point(row): (row["val_accuracy"], row["accuracy"])
            for row in read_csv(out / "search_result.csv") if row["state"] == "complete"}
    theirs = {_point(row): (row["val_accuracy"], row["accuracy"])
              for row in read_csv(alone.out / "search_result.csv")}
    assert len(ours) == 10 and ours == theirs


def _point(row):
    return row["learning_rate"], row["regularization"], row["regular_strength"]


def test_a_random_search_trains_its_points_together_with_the_same_results(options):
    space = replace(small_space(), sampler="random")
    space.params[0] = Param("lr", low=0.001, high=0.02, log=True)
    together = replace(options, space=space, trials=4, population_size=4)
    alone = replace(together, out=options.out.parent / "alone", population_size=1)
    run_search(together)
    run_search(alone)
    assert _populations(together) == 4
    key = lambda row: (row["no"], row["learning_rate"], row["regularization"], row["val_accuracy"],  # noqa: E731
                       row["accuracy"])
    assert sorted(map(key, read_csv(together.out / "search_result.csv"))) == \
        sorted(map(key, read_csv(alone.out / "search_result.csv")))
