"""Searches sharing a real PostgreSQL storage (the server of conftest's postgres_url): one search,
three `npnn search` workers started at once, and a worker killed mid-trial."""

from __future__ import annotations

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
import postgres_server
import pytest

from npnn.cli import main
from npnn.search import read_csv, run_search

SRC = str(Path(__file__).resolve().parents[2] / "src")
ENV = {**os.environ, "PYTHONPATH": SRC, "PYTHONUNBUFFERED": "1", "OPENBLAS_NUM_THREADS": "1",
       "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
SIX_POINTS = """
sampler = "grid"
[fixed]
hidden = [16]
batch_size = 100
epochs = 1
train_subset = 300
[params.lr]
choices = [0.003, 0.01, 0.03]
[params.seed]
choices = [0, 1]
"""
# `npnn search ARGS` once the file GO exists: the workers' imports (Optuna's too) are done by then,
# so that they open the study and enqueue the grid at the same moment
AT_ONCE = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import npnn.search
    from npnn.cli import main

    go = Path(sys.argv[1])
    (go.parent / f"ready-{sys.argv[2]}").touch()
    while not go.exists():
        time.sleep(0.002)
    sys.exit(main(sys.argv[3:]))
""")


def _point(trial):
    return json.dumps(trial.params, sort_keys=True)


def _complete_once(study, points):
    """Every one of `points` grid points has exactly one COMPLETE trial; nothing failed."""
    complete = [_point(t) for t in study.trials if t.state.name == "COMPLETE"]
    assert len(set(complete)) == points, complete
    assert len(complete) == points, f"a point completed twice: {sorted(complete)}"


def test_a_search_on_postgresql_completes_the_grid_and_lists_it(options, postgres_db, capsys):
    result = run_search(replace(options, storage=postgres_db))
    assert (result["complete"], result["failed"]) == (4, 0)
    assert not (options.out / "study.db").exists()  # the study is in PostgreSQL, not beside
    study = optuna.load_study(study_name=options.study, storage=postgres_db)
    _complete_once(study, 4)
    rows = read_csv(options.csv_path)
    assert sorted(r["state"] for r in rows) == ["complete"] * 4
    assert {r["run_dir"] for r in rows} == {t.user_attrs["run_dir"] for t in study.trials}
    assert main(["search", "--summary", str(options.out)]) == 0
    summary = capsys.readouterr().out
    assert "best 4 of 4 trials" in summary, summary
    assert sorted(int(line.split()[0]) for line in summary.splitlines()[2:] if line.strip()) == [0, 1, 2, 3]


@pytest.fixture(scope="module", params=["new database", "tables exist"])
def three_workers(request, postgres_url, tmp_path_factory):
    """Three `npnn search` processes started at the same moment, each with its own --out, on a
    new database (they race to create Optuna's tables) or one where an earlier search made them
    (none loses time retrying: they enqueue the grid at once): their outputs, folders and trials."""
    folder = tmp_path_factory.mktemp("three")
    (folder / "space.toml").write_text(SIX_POINTS)
    with postgres_server.database(postgres_url) as url:
        if request.param == "tables exist":
            optuna.storages.RDBStorage(url).engine.dispose()
        command = ["search", "--space", str(folder / "space.toml"), "--storage", url, "--study", "shared"]
        workers = [subprocess.Popen([sys.executable, "-c", AT_ONCE, folder / "go", str(i), *command, "--out",
                                     folder / f"w{i}"], env=ENV, text=True, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE) for i in range(3)]
        deadline = time.time() + 120
        while len(list(folder.glob("ready-*"))) < 3:
            assert time.time() < deadline and all(w.poll() is None for w in workers), \
                [w.communicate() for w in workers if w.poll() is not None]
            time.sleep(0.01)
        (folder / "go").touch()
        outputs = [worker.communicate(timeout=300) for worker in workers]
        codes = [worker.returncode for worker in workers]
        study = optuna.load_study(study_name="shared", storage=url)
        trials = study.trials  # read before the database is dropped
    return codes, outputs, [folder / f"w{i}" for i in range(3)], trials


def test_three_workers_train_every_point_once(three_workers):
    codes, outputs, outs, trials = three_workers
    assert codes == [0, 0, 0], [err for _, err in outputs]
    assert not [t for t in trials if t.state.name == "FAIL"]
    complete = [_point(t) for t in trials if t.state.name == "COMPLETE"]
    assert len(set(complete)) == 6 and len(complete) == 6, complete
    trained = [t for t in trials if "run_dir" in t.user_attrs]  # a skipped duplicate has none
    assert len(trained) == 6, [(t.number, t.state.name, t.user_attrs) for t in trained]
    runs = [run for out in outs for run in (out / "runs").glob("trial-*")]
    assert len(runs) == 6, runs  # no point trained twice, in any worker's folder
    assert sorted(str(run) for run in runs) == sorted(t.user_attrs["run_dir"] for t in trained)
    for out in outs:  # each worker's CSV lists the whole shared study
        rows = read_csv(out / "search_result.csv")
        assert sorted(r["state"] for r in rows) == ["complete"] * 6


def test_three_workers_enqueue_the_grid_once(three_workers):
    _, _, _, trials = three_workers
    queued_again = [t for t in trials if "queued_again" in t.user_attrs or "failed_trial" in t.system_attrs]
    # enqueued points carry Optuna's fixed_params; a worker that finds the queue empty may still ask
    # the sampler once more, and that trial is skipped as a duplicate, never trained
    enqueued = [t for t in trials if "fixed_params" in t.system_attrs]
    assert len(enqueued) <= 6 + len(queued_again), \
        f"{len(enqueued)} trials enqueued for 6 grid points: {[(t.number, _point(t)) for t in enqueued]}"
    asked = [t for t in trials if "fixed_params" not in t.system_attrs]
    assert all("duplicate_of" in t.user_attrs and "run_dir" not in t.user_attrs for t in asked), \
        [(t.number, t.state.name, t.user_attrs) for t in asked]


# one search worker (run_search, 1 job) on a shared storage, with a 1 s heartbeat and a 4 s grace
# period (`npnn search` has 5 s and 20 s): 3 points of 600 steps, evaluated every 50
WORKER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from npnn.search import SearchOptions, run_search
    from npnn.search.space import Param, SearchSpace

    fixed = {"hidden": [16], "batch_size": 10, "epochs": 1, "train_subset": 6000, "eval_every": 50}
    space = SearchSpace([Param("lr", (0.003, 0.01, 0.03))], fixed=fixed, sampler="grid")
    options = SearchOptions(out=Path(sys.argv[1]), space=space, space_source="slow-grid",
                            storage=sys.argv[2], heartbeat_seconds=1, grace_seconds=4)
    print(run_search(options)["complete"])
""")


def test_a_worker_killed_mid_trial_is_failed_by_the_heartbeat_and_its_point_trained_by_another(
        tmp_path, postgres_db):
    victim, survivor = (subprocess.Popen([sys.executable, "-c", WORKER, tmp_path / name, postgres_db],
                                         env=ENV, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                        for name in ("victim", "survivor"))
    deadline = time.time() + 120
    while not list((tmp_path / "victim" / "runs").glob("trial-*/history.json")):  # evaluated once
        assert victim.poll() is None, victim.communicate()
        assert time.time() < deadline, "the victim's trial did not start"
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    stdout, stderr = survivor.communicate(timeout=180)  # it waits out the grace period, then trains
    assert survivor.returncode == 0, stderr

    study = optuna.load_study(study_name="npnn-search", storage=postgres_db)
    _complete_once(study, 3)
    killed = [t for t in study.trials if t.state.name == "FAIL"]
    assert [t.user_attrs.get("worker", "").rpartition(":")[2] for t in killed] == [str(victim.pid)], \
        [(t.number, t.state.name, t.user_attrs) for t in study.trials]
    retried = [t for t in study.trials if t.system_attrs.get("failed_trial") == killed[0].number]
    assert [t.state.name for t in retried] == ["COMPLETE"]  # queued by the heartbeat callback, once
    assert retried[0].params == killed[0].params
    assert retried[0].user_attrs["worker"].rpartition(":")[2] == str(survivor.pid)
    assert stdout.split()[-1] == "3"


def test_the_search_workers_benchmark_measures_every_worker_count(postgres_db, tmp_path):
    """benchmarks/search_workers.py, as the README's trials/hour figures are taken (two points)."""
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "search_workers.py"
    out = tmp_path / "workers.json"
    done = subprocess.run([sys.executable, str(script), "--workers", "1", "2", "--trials", "2",
                           "--storage", postgres_db, "--out", str(out)],
                          capture_output=True, text=True, env=ENV, timeout=300)
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-1500:]
    rows = json.loads(out.read_text())["rows"]
    assert [row["workers"] for row in rows] == [1, 2]
    assert all(row["complete"] == row["trials_total"] == 2 and row["trials_per_hour"] > 0 for row in rows)
    assert "2 worker(s): 2/2 trials" in done.stdout
