"""Searches that lose a trial, a worker or their storage: recorded, continued, or one clear error.

Covered elsewhere (tests/search/test_runner.py): SIGKILL mid-trial and rerun, no finished trial
lost or redone and the killed trial run once more (test_sigkill_then_rerun_keeps_finished_trials_and_
completes); invalid and diverged trials recorded failed with their reason, not retried
(test_failed_and_diverged_trials_are_recorded_and_the_search_goes_on); two workers on one storage
finish the grid with no "database is locked" (test_two_workers_sharing_one_storage_complete_the_grid);
Ctrl-C queues the trial again (tests/search/test_search_cli.py).
"""

from __future__ import annotations

import dataclasses
import json

import optuna
import pytest

from npnn.search import SearchError, SearchOptions, read_csv, run_search
from npnn.search.space import Param, SearchSpace
from npnn.search.study import StorageError
from npnn.training import Trainer

FIXED = {"hidden": [16], "batch_size": 100, "epochs": 1, "train_subset": 300, "dropout": 0.0,
         "schedule": "constant", "eval_every": 1}


@pytest.fixture
def options(tmp_path):
    space = SearchSpace([Param("lr", (0.003, 0.01)), Param("seed", (0, 1))], fixed=dict(FIXED),
                        sampler="grid", description="reliability grid")
    return SearchOptions(out=tmp_path / "search", space=space, space_source="reliability-grid",
                         heartbeat_seconds=1, grace_seconds=3)


def test_a_trial_that_raises_mid_training_is_failed_with_its_error_and_the_search_goes_on(options,
                                                                                         monkeypatch):
    real = Trainer._evaluate_and_save

    def evaluate_and_save(self):
        if self.config.lr == 0.01 and self.position.step == 2:
            raise RuntimeError("disk on fire")
        return real(self)

    monkeypatch.setattr(Trainer, "_evaluate_and_save", evaluate_and_save)
    result = run_search(options)
    assert (result["complete"], result["failed"]) == (2, 2)
    study = optuna.load_study(study_name=options.study, storage=options.storage_url)
    failed = [t for t in study.trials if t.state.name == "FAIL"]
    assert {t.params["lr"] for t in failed} == {0.01}
    for trial in failed:
        assert trial.user_attrs["fail_reason"] == "RuntimeError: disk on fire"
        status = json.loads((options.out / "runs" / f"trial-{trial.number:04d}" / "status.json").read_text())
        assert status["status"] == "failed" and "RuntimeError: disk on fire at step 2" in status["reason"]
    rows = read_csv(options.csv_path)
    assert sorted(r["state"] for r in rows) == ["complete", "complete", "fail", "fail"]


def test_a_storage_url_that_cannot_be_used_is_a_search_error(options):
    for url in ("bogus://nowhere", "not a url", "mysql+nosuchdriver://user:secret@host/db"):
        with pytest.raises(SearchError, match=r"--storage .*cannot use it") as raised:
            run_search(dataclasses.replace(options, storage=url))
        assert "secret" not in str(raised.value)  # passwords are not printed


def test_a_study_db_that_is_not_a_database_is_a_storage_error_naming_it(options):
    options.out.mkdir(parents=True)
    (options.out / "study.db").write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(StorageError, match=r"cannot open study 'npnn-search' in sqlite:///.*study\.db: "
                                           r".*file is not a database"):
        run_search(options)
