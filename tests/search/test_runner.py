"""Running searches: CSV, failures, resume after SIGKILL and Ctrl-C, workers sharing a storage."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import optuna
from grids import small_space

from npnn.search import COLUMNS, read_csv, run_search
from npnn.search.space import Param

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _rows(options):
    return read_csv(options.out / "search_result.csv")


def _key(row):
    return (row["learning_rate"], row["regularization"], row["regular_strength"])


def test_grid_runs_every_point_once_and_writes_the_csv(options):
    result = run_search(options)
    rows = _rows(options)
    assert result["complete"] == 4 and result["failed"] == 0
    assert list(rows[0]) == [*COLUMNS, "model"]
    assert len({_key(r) for r in rows}) == 4 and len(rows) == 4
    for row in rows:
        assert row["state"] == "complete" and row["hidden_size"] == "16" and row["batch_size"] == "100"
        assert 0.3 < float(row["val_accuracy"]) <= 1 and 0.3 < float(row["accuracy"]) <= 1
        run = Path(row["run_dir"])
        assert (run / "best.safetensors").exists() and json.loads((run / "test.json").read_text())
    assert "ranked by validation accuracy" in result["summary"]


def test_rerun_of_a_finished_grid_trains_nothing(options):
    run_search(options)
    before = _rows(options)
    result = run_search(options)
    assert result["complete"] == 4 and _rows(options) == before


def test_trials_flag_stops_and_a_rerun_continues(options):
    run_search(replace(options, trials=3))
    assert len(_rows(options)) == 3
    run_search(options)
    rows = _rows(options)
    assert len(rows) == 4 and len({_key(r) for r in rows}) == 4


def test_failed_and_diverged_trials_are_recorded_and_the_search_goes_on(options):
    space = small_space(extra_lr=(1e9,))
    space.params.append(Param("dropout", (0.0, 1.5)))  # 1.5 is an invalid configuration
    result = run_search(replace(options, space=space, overrides={"optimizer": "sgd", "momentum": 0.0}))
    study = optuna.load_study(study_name=options.study, storage=options.storage_url)
    reasons = [t.user_attrs.get("fail_reason", "") for t in study.trials if t.state.name == "FAIL"]
    assert result["complete"] == 4 and result["failed"] == 8
    assert sum("non-finite" in r for r in reasons) == 2  # lr 1e9 with dropout 0.0
    assert sum("dropout" in r for r in reasons) == 6
    rerun = run_search(replace(options, space=space, overrides={"optimizer": "sgd", "momentum": 0.0}))
    assert rerun["failed"] == 8 and rerun["complete"] == 4  # failed trials are not retried


def test_a_different_search_in_the_same_folder_is_refused(options):
    run_search(replace(options, trials=1))
    other = replace(options, space=small_space(extra_lr=(0.02,)))
    try:
        run_search(other)
    except ValueError as error:
        assert "different search" in str(error)
    else:
        raise AssertionError("a different grid was accepted in the same folder")


def test_two_jobs_give_the_same_results_as_one(tmp_path, options):
    one = run_search(replace(options, out=tmp_path / "one"))
    two = run_search(replace(options, out=tmp_path / "two", jobs=2))
    assert one["complete"] == two["complete"] == 4
    results = [{_key(r): (r["val_accuracy"], r["accuracy"])
                for r in read_csv(tmp_path / name / "search_result.csv")} for name in ("one", "two")]
    assert results[0] == results[1]


SCRIPT = textwrap.dedent("""
    import os
    import sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from grids import small_space
    from npnn.search import SearchOptions, run_search

    if __name__ == "__main__":
        space = small_space(extra_lr=tuple(float(x) for x in sys.argv[3:]))
        options = SearchOptions(out=Path(sys.argv[1]), space=space, space_source="test-grid",
                                storage=sys.argv[2] or None, heartbeat_seconds=1, grace_seconds=3,
                                population_size=int(os.environ.get("POPULATION_SIZE", "1")))
        run_search(options, echo=print)
""")


def _launch(tmp_path, out, storage="", extra=(), population_size=1):
    """The search of SCRIPT in a process of its own; one by one unless `population_size` > 1."""
    script = tmp_path / "search_script.py"
    script.write_text(SCRIPT.format(tests=str(Path(__file__).parent)))
    env = {**os.environ, "PYTHONPATH": SRC, "OPENBLAS_NUM_THREADS": "1",
           "POPULATION_SIZE": str(population_size)}
    return subprocess.Popen([sys.executable, str(script), str(out), storage, *map(str, extra)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_sigkill_then_rerun_keeps_finished_trials_and_completes(tmp_path, options):
    out = tmp_path / "killed"
    extra = (0.001, 0.002, 0.02)  # 10 grid points
    process = _launch(tmp_path, out, extra=extra)
    csv = out / "search_result.csv"
    deadline = time.time() + 120
    running = out / "runs" / "trial-0003" / "train.log"  # trial 3 is training
    while time.time() < deadline and not (running.exists() and csv.exists() and len(read_csv(csv)) >= 3):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished_before = {_key(r): r["run_dir"] for r in read_csv(csv) if r["state"] == "complete"}
    assert len(finished_before) >= 3

    rerun = _launch(tmp_path, out, extra=extra)
    _, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    rows = read_csv(csv)
    complete = {_key(r): r["run_dir"] for r in rows if r["state"] == "complete"}
    assert len(complete) == 10  # every grid point finished
    for point, run_dir in finished_before.items():
        assert complete[point] == run_dir  # finished before the kill: kept, not trained again
    completed_runs = [r for r in rows if r["state"] == "complete"]
    assert len(completed_runs) == 10  # and no point completed twice
    study = optuna.load_study(study_name="npnn-search", storage=f"sqlite:///{out / 'study.db'}")
    # the study, not the CSV, says whether the kill landed inside a trial: the CSV is rewritten
    # just after a trial completes, so a kill in between leaves 3 rows and no failed trial
    killed = [t for t in study.trials if t.state.name == "FAIL"]
    assert len(killed) <= 1
    if killed:  # the interrupted trial failed, and its point ran once more, only once
        assert killed[0].number >= 3
        assert sum(t.params == killed[0].params for t in study.trials if t.state.name == "COMPLETE") == 1


def test_two_workers_sharing_one_storage_complete_the_grid(tmp_path):
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    extra = (0.001, 0.002, 0.02)
    workers = [_launch(tmp_path, tmp_path / f"worker{i}", storage, extra) for i in range(2)]
    for worker in workers:
        _, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr
        assert "database is locked" not in stderr
    study = optuna.load_study(study_name="npnn-search", storage=storage)
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    points = {json.dumps(t.params, sort_keys=True) for t in complete}
    assert len(points) == 10
    assert len(complete) == 10
    # the grid was enqueued once, not once per worker (a trial the heartbeat check retried, when a
    # loaded machine delayed a heartbeat past the 3 s grace, is a retry, not a second copy)
    originals = [t for t in study.trials if "failed_trial" not in t.system_attrs]
    assert len(originals) == 10, [(t.number, t.state.name, t.params, t.system_attrs) for t in study.trials]


def _enqueue_together(options, barrier):
    from npnn.search.study import enqueue_grid, open_study

    study = open_study(options)
    barrier.wait()
    enqueue_grid(study, options.space)


def test_workers_starting_together_enqueue_the_grid_once(options):
    import multiprocessing

    from npnn.search.study import open_study

    options.out.mkdir(parents=True)
    open_study(options)  # the study exists, as run_search makes it before its workers start
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(3)
    workers = [context.Process(target=_enqueue_together, args=(options, barrier)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    study = optuna.load_study(study_name=options.study, storage=options.storage_url)
    points = [json.dumps(t.system_attrs["fixed_params"], sort_keys=True) for t in study.trials]
    assert len(points) == options.space.grid_size() == len(set(points))


def test_trials_budget_is_exact_with_two_jobs(options):
    run_search(replace(options, space=small_space(extra_lr=(0.001, 0.02)), trials=3, jobs=2))
    assert len(_rows(options)) == 3


def test_prune_stops_trials_below_the_median(options):
    from npnn.search.space import SearchSpace

    good, bad = (0.003, 0.005, 0.007, 0.01, 0.02), (1e-7, 2e-7)
    space = SearchSpace([Param("lr", good + bad)], fixed={**small_space().fixed, "eval_every": 1},
                        sampler="grid")
    result = run_search(replace(options, space=space, prune=True))
    rows = {float(r["learning_rate"]): r["state"] for r in _rows(options)}
    assert all(rows[lr] == "complete" for lr in good[:5])  # the first five set the median
    assert all(rows[lr] == "pruned" for lr in bad)
    assert result["pruned"] == 2


def test_progress_line_of_a_skipped_duplicate(options):
    from types import SimpleNamespace

    from npnn.search.objective import Objective

    objective = Objective(options, study=None, echo=None)
    line = objective._line(SimpleNamespace(number=7, user_attrs={"duplicate_of": 3}), [])
    assert line == "trial    7 skipped: trial 3 trains the same grid point"


def test_progress_line_of_a_trial_stopped_before_its_settings(options):
    """A full disk or a signal can stop a trial before it records its config: one line, no crash."""
    from types import SimpleNamespace

    from npnn.search.objective import Objective

    objective = Objective(options, study=SimpleNamespace(get_trials=lambda deepcopy: []), echo=None)
    stopped = SimpleNamespace(number=4, user_attrs={}, state=SimpleNamespace(name="FAIL"), value=None)
    line = objective._line(stopped, [])
    assert line.startswith("trial    4 [") and " fail " in line
    assert "before its settings were recorded" in line


def test_progress_counts_grid_points_and_a_skipped_duplicate_spends_no_trial(options):
    """A shared study's queue may hold more entries than the grid has points (queued again,
    or duplicates from older versions): the progress line counts points; --trials trained ones."""
    from types import SimpleNamespace

    from npnn.search.objective import Objective

    lines = []
    study = SimpleNamespace(get_trials=lambda deepcopy, states=None: [])
    objective = Objective(replace(options, trials=2), study=study, echo=lines.append)
    options.out.mkdir(parents=True)
    skipped = SimpleNamespace(number=9, user_attrs={"duplicate_of": 2}, state=SimpleNamespace(name="PRUNED"))
    objective.after_trial(study, skipped)
    assert objective.trials == 0 and lines == ["trial    9 skipped: trial 2 trains the same grid point"]
    trained = SimpleNamespace(number=3, user_attrs={"config": {"hidden": [8], "batch_size": 64, "lr": 0.01,
                              "regularization": "none"}, "seconds": 1.0}, state=SimpleNamespace(name="FAIL"),
                              value=None)
    rows = [{"state": "complete"}, {"state": "fail"}]
    assert objective._line(trained, rows).startswith(f"trial    3 [2/{options.space.grid_size()}] fail ")
