"""Searches that lose a trial, a worker or their storage: recorded, continued, or one clear error.

Covered elsewhere (tests/search/test_runner.py): SIGKILL mid-trial and rerun, no finished trial
lost or redone and the killed trial run once more (test_sigkill_then_rerun_keeps_finished_trials_and_
completes); invalid and diverged trials recorded failed with their reason, not retried
(test_failed_and_diverged_trials_are_recorded_and_the_search_goes_on); two workers on one storage
finish the grid with no "database is locked" (test_two_workers_sharing_one_storage_complete_the_grid).
Here: a damaged or replaced study.db; Ctrl-C, SIGTERM, SIGHUP, a killed worker or parent (real
processes); a full disk, injected at each kind of write and real (tmpfs) under two workers.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import multiprocessing.util
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import optuna
import pytest
from fault_tools import ENV, npnn_cli
from sqlalchemy.exc import OperationalError

from npnn.search import SearchError, SearchOptions, read_csv, run_search, runner
from npnn.search.faults import SearchStoppedError, fault_in_chain, faults_in_threads, stopped
from npnn.search.space import Param, SearchSpace
from npnn.search.workers import work_in_processes
from npnn.serialization import CheckpointError
from npnn.training import Trainer
from npnn.training.errors import TrainingStoppedError
from npnn.training.stop_signals import STOP_SIGNALS

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


TINY_SPACE = """
sampler = "grid"
[fixed]
hidden = [16]
batch_size = 100
epochs = 1
train_subset = 300
[params.lr]
choices = [0.003, 0.01]
[params.seed]
choices = [0, 1]
"""


@pytest.fixture(scope="module")
def finished_search(tmp_path_factory):
    """A finished 4-trial search made by `npnn search`, and its command line."""
    folder = tmp_path_factory.mktemp("finished")
    (folder / "space.toml").write_text(TINY_SPACE)
    args = ["search", "--space", folder / "space.toml", "--out", folder / "s"]
    result = npnn_cli(*args)
    assert result.returncode == 0 and "4 complete, 0 failed" in result.stdout, result.stderr
    return folder / "s", args


def _truncated(db):
    return db.read_bytes()[: db.stat().st_size // 2]


def _fresh_sqlite(db):  # a valid database, but not this search's study
    db.unlink()
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE other (x)")
    return db.read_bytes()


@pytest.mark.parametrize("damage, message", [
    (lambda db: b"", r"study\.db does not record the trials of .*runs/trial-0000 and 4 more: the study "
                     r"was replaced or emptied; restore it from a backup, or move study\.db"),
    (lambda db: b"this is not SQLite" * 100, r"study\.db is damaged: not an SQLite database; restore"),
    (_truncated, r"study\.db is damaged \(.*\); restore study\.db from a backup, or move"),
    (_fresh_sqlite, r"study\.db does not record the trials of"),
])
def test_a_damaged_or_replaced_study_is_refused_and_overwrites_nothing(tmp_path, finished_search, damage,
                                                                       message):
    out = tmp_path / "s"
    shutil.copytree(finished_search[0], out)
    args = [out if arg == finished_search[0] else arg for arg in finished_search[1]]
    db, csv = out / "study.db", out / "search_result.csv"
    db.write_bytes(damage(db))
    before = (db.read_bytes(), csv.read_bytes(), sorted(p.name for p in (out / "runs").iterdir()))
    for _ in range(2):  # and again: the refusal changed nothing
        result = npnn_cli(*args)
        assert result.returncode == 1, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and re.search(message, result.stderr), \
            result.stderr
        assert (db.read_bytes(), csv.read_bytes(),
                sorted(p.name for p in (out / "runs").iterdir())) == before


def test_an_empty_study_db_without_results_is_a_new_search(options):
    options.out.mkdir(parents=True)
    (options.out / "study.db").write_bytes(b"")  # killed while SQLite was creating it
    assert run_search(dataclasses.replace(options, trials=1))["complete"] == 1


# ----- stop signals, killed workers, a dying parent: `npnn search` as a real process -----

SLOW_SPACE = """
sampler = "grid"
[fixed]
hidden = [16]
batch_size = 10
epochs = 1
train_subset = 6000
eval_every = 50
[params.lr]
choices = [0.003, 0.01]
"""  # 2 trials of 600 steps (about a second each): stopped in the middle after the first evaluation


def _slow_search(tmp_path, subset=6000):
    space = tmp_path / "space.toml"
    space.write_text(SLOW_SPACE.replace("train_subset = 6000", f"train_subset = {subset}"))
    return ["search", "--space", space, "--out", tmp_path / "s"]


def _start(args, jobs):
    return subprocess.Popen([sys.executable, "-m", "npnn", *map(str, args), "--jobs", str(jobs)],
                            env=ENV, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)  # its own group, as a shell job


def _wait_training(out, trials, process, timeout=120):
    """Until each of `trials` has evaluated once (so it is in the middle of training)."""
    deadline = time.time() + timeout
    while not all((out / "runs" / f"trial-{n:04d}" / "history.json").exists() for n in trials):
        assert process.poll() is None, process.communicate()
        assert time.time() < deadline, "the trials did not start"
        time.sleep(0.05)


def _workers(pid):
    """The worker processes of search process `pid` (not multiprocessing's resource tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and b"spawn_main" in command:
            found.append(int(stat.parent.name))
    return found


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _study(out):
    return optuna.load_study(study_name="npnn-search", storage=f"sqlite:///{out / 'study.db'}")


def _rerun_completes(args, out, points=2):
    """The same command again: every point complete, nothing failed, in the CSV and the study."""
    rerun = npnn_cli(*args, "--jobs", "1", timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{points} complete, 0 failed" in rerun.stdout
    rows = read_csv(out / "search_result.csv")
    assert sorted(r["state"] for r in rows) == ["complete"] * points
    assert len({r["learning_rate"] for r in rows}) == points
    return _study(out)


@pytest.mark.parametrize("jobs, signum", [(1, signal.SIGINT), (2, signal.SIGINT), (1, signal.SIGTERM),
                                          (2, signal.SIGTERM), (2, signal.SIGHUP)])
def test_a_stop_signal_queues_the_trials_again_and_a_rerun_completes_them(tmp_path, jobs, signum):
    args, out = _slow_search(tmp_path, subset=18000), tmp_path / "s"  # no trial ends before the signal
    process = _start(args, jobs)
    _wait_training(out, range(jobs), process)
    workers = _workers(process.pid)
    assert len(workers) == (jobs if jobs > 1 else 0)
    if signum == signal.SIGINT:
        os.killpg(process.pid, signum)  # Ctrl-C in a terminal reaches the whole foreground group
    else:
        process.send_signal(signum)  # `kill PID`, or the terminal closing
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr and "rerun the same command" in stderr.strip().splitlines()[-1]
    assert not [pid for pid in workers if _alive(pid)]  # no orphan goes on training
    stopped = _study(out).trials
    assert not [t for t in stopped if t.state.name == "FAIL"]
    queued = [t for t in stopped if "queued_again" in t.user_attrs]
    assert len(queued) == jobs and all(t.state.name == "PRUNED" for t in queued)

    study = _rerun_completes(args, out)
    assert not [t for t in study.trials if t.state.name == "FAIL"]
    for trial in queued:  # each stopped point ran again, to the end, from where it stopped
        retry = [t for t in study.trials if t.params == trial.params and t.number > trial.number]
        assert [t.state.name for t in retry] == ["COMPLETE"]
        assert retry[0].user_attrs["run_dir"] == trial.user_attrs["run_dir"]
        assert "resumed at step" in (Path(trial.user_attrs["run_dir"]) / "train.log").read_text()


def test_a_killed_worker_is_one_line_its_trial_is_queued_again_and_the_other_finishes(tmp_path):
    args, out = _slow_search(tmp_path), tmp_path / "s"
    process = _start(args, 2)
    _wait_training(out, (0, 1), process)
    victim = _workers(process.pid)[0]
    os.kill(victim, signal.SIGKILL)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert re.search(r"search worker \d was killed by SIGKILL \(signal 9\); its trial \d was queued "
                     r"again; rerun the same command", stderr), stderr
    rows = read_csv(out / "search_result.csv")  # the other worker trained both points
    assert sorted(r["state"] for r in rows) == ["complete", "complete"]
    assert len({r["learning_rate"] for r in rows}) == 2
    _rerun_completes(args, out)


def test_workers_of_a_killed_parent_stop_and_a_rerun_completes(tmp_path):
    args, out = _slow_search(tmp_path, subset=20000), tmp_path / "s"  # they notice within a second
    process = _start(args, 2)
    _wait_training(out, (0, 1), process)
    workers = _workers(process.pid)
    assert len(workers) == 2
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    deadline = time.time() + 30
    while any(_alive(pid) for pid in workers) and time.time() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "workers went on without their parent"
    stopped = _study(out).trials  # they stopped in the middle, and queued their trials again
    assert sorted(t.state.name for t in stopped) == ["PRUNED", "PRUNED", "WAITING", "WAITING"]
    assert all("queued_again" in t.user_attrs for t in stopped if t.state.name == "PRUNED")
    study = _rerun_completes(args, out)
    assert not [t for t in study.trials if t.state.name == "FAIL"]  # they stopped cleanly


# ----- a full disk: injected where a trial writes -----

def _disk_full_once(monkeypatch, where):
    """The first write whose file name contains `where` fails with ENOSPC, as write() does (no
    file name in the error); `where` "study" fails the study's first write of a run_dir."""
    from sqlalchemy.exc import OperationalError

    import npnn.serialization

    failed = []
    if where == "study":
        real_attr = optuna.storages.RDBStorage.set_trial_user_attr

        def set_trial_user_attr(self, trial_id, key, value):
            if key == "run_dir" and not failed:
                failed.append(key)
                raise OperationalError("UPDATE ...", {}, sqlite3.OperationalError("database or disk is full"))
            return real_attr(self, trial_id, key, value)

        monkeypatch.setattr(optuna.storages.RDBStorage, "set_trial_user_attr", set_trial_user_attr)
        return failed
    real = npnn.serialization.atomic_write_bytes

    def atomic_write_bytes(path, data):
        if where in Path(path).name and not failed:
            failed.append(path)
            raise OSError(errno.ENOSPC, "No space left on device", str(path))  # as the real one names it
        return real(path, data)

    monkeypatch.setattr(npnn.serialization, "atomic_write_bytes", atomic_write_bytes)
    return failed


@pytest.mark.parametrize("where, names", [("last.safetensors", r"runs/trial-0000"),
                                          ("history.json", r"runs/trial-0000"),
                                          ("search_result.csv", r"search_result\.csv"),
                                          ("study", r"study\.db")])
def test_a_full_disk_stops_the_search_with_one_line_and_a_rerun_retries_the_trial(
        tmp_path, monkeypatch, capsys, where, names):
    from npnn.cli import main

    (tmp_path / "space.toml").write_text(TINY_SPACE)
    args = ["search", "--space", str(tmp_path / "space.toml"), "--out", str(tmp_path / "s")]
    failed = _disk_full_once(monkeypatch, where)
    assert main(args) == 1
    assert failed, "the fault was not injected"
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert re.search(names + r".*: No space left on device; the search stopped.*: free some space, then "
                     r"rerun the same command to continue", err), err
    study = _study(tmp_path / "s")
    assert not [t for t in study.trials if t.state.name == "FAIL"]  # nothing failed for good
    if where != "search_result.csv":  # the trial in progress waits to run again
        assert "trial 0 is queued to run again" in err
        assert [t.state.name for t in study.trials if t.number == 0] == ["PRUNED"]
    monkeypatch.undo()  # space was freed
    assert main(args) == 0
    assert "4 complete, 0 failed" in capsys.readouterr().out
    rows = read_csv(tmp_path / "s" / "search_result.csv")
    assert sorted(r["state"] for r in rows) == ["complete"] * 4 and len({r["run_dir"] for r in rows}) == 4
    assert not [t for t in _study(tmp_path / "s").trials if t.state.name == "FAIL"]


@pytest.fixture
def small_disk(tmp_path):
    """A 1.2 MB tmpfs (root only): a disk that really fills up, for worker processes too."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1200k", "tmpfs", str(disk)],
                             capture_output=True, text=True) if os.geteuid() == 0 else None
    if mounted is None or mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() if mounted else 'not root'}); "
                    "the injected ENOSPC tests above cover one worker")
    yield disk
    subprocess.run(["umount", "--lazy", str(disk)], check=True)  # lazy: a process may be ending


def test_a_disk_that_fills_up_under_two_workers_stops_them_and_a_rerun_completes(small_disk):
    (small_disk.parent / "space.toml").write_text(TINY_SPACE.replace(
        "choices = [0, 1]", "choices = [0, 1, 2, 3, 4]"))  # 10 trials: more than the disk holds
    args = ["search", "--space", small_disk.parent / "space.toml", "--out", small_disk / "s", "--jobs", 2]
    full = npnn_cli(*args)
    assert full.returncode == 1, full.stderr
    assert len(full.stderr.strip().splitlines()) == 1, full.stderr
    assert re.search(r"No space left on device; the search stopped.*: free some space, then rerun the "
                     r"same command to continue", full.stderr), full.stderr
    assert not [t for t in _study(small_disk / "s").trials if t.state.name == "FAIL"]
    subprocess.run(["mount", "-o", "remount,size=8m", str(small_disk)], check=True)  # space freed
    rerun = npnn_cli(*args)
    assert rerun.returncode == 0, rerun.stderr
    assert "10 complete, 0 failed" in rerun.stdout
    rows = read_csv(small_disk / "s" / "search_result.csv")
    assert sorted(r["state"] for r in rows) == ["complete"] * 10


def _chained(error, cause):
    error.__cause__ = cause
    return error


def _raised_while(error, handled, from_none=False):
    """`error` as raised in an `except` clause of `handled` (`from None` if `from_none`)."""
    try:
        try:
            raise handled
        except OSError:
            if from_none:
                raise error from None
            raise error  # noqa: B904 (the implicit context is the point)
    except Exception as raised:
        return raised


@pytest.mark.parametrize("error, number", [
    (OSError(errno.ENOSPC, "No space left on device"), errno.ENOSPC),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), errno.EDQUOT),
    (OSError(errno.EIO, "Input/output error", "f"), errno.EIO),
    (PermissionError(errno.EACCES, "Permission denied", "f"), errno.EACCES),
    (PermissionError(errno.EPERM, "Operation not permitted", "f"), errno.EPERM),
    (OSError(errno.EROFS, "Read-only file system"), errno.EROFS),
    (OperationalError("INSERT", {}, sqlite3.OperationalError("disk I/O error")), errno.EIO),
    (OperationalError("UPDATE", {}, sqlite3.OperationalError("attempt to write a readonly database")),
     errno.EROFS),
    (_chained(RuntimeError("saving failed"), OSError(errno.ENOSPC, "No space left on device")), errno.ENOSPC),
    (_raised_while(RuntimeError("saving failed"), OSError(errno.ENOSPC, "No space left on device")),
     errno.ENOSPC),
    (MemoryError("Unable to allocate 3 TiB"), errno.ENOMEM),
    (TrainingStoppedError("ran out of memory (at step 4); ...", errno.ENOMEM), errno.ENOMEM),
    # `from None`: serialization's CheckpointError for an unreadable file is the run's, not the machine's
    (_raised_while(CheckpointError("f: not readable"),
                   PermissionError(errno.EACCES, "Permission denied", "f"), from_none=True), None),
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "f"), None),  # a real error of the run
    (ValueError("database or disk is full"), None),  # only SQLite's own errors are read as faults
    (OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked")), None),
])
def test_which_errors_are_faults_of_the_machine(error, number):
    fault = fault_in_chain(error, "study.db")
    assert (fault.errno if fault is not None else None) == number
    if fault is not None:
        message = str(stopped(fault, "runs/trial-0007", " and trial 7 is queued to run again"))
        assert message.startswith(("f:", "study.db:", "runs/trial-0007:"))
        assert message.endswith("then rerun the same command to continue")


def test_a_fault_of_the_machine_in_a_background_thread_is_kept_not_printed(monkeypatch):
    """Optuna's heartbeat thread met the full disk first and printed a 40-line traceback."""
    def fail(error):
        def run():
            raise error
        return run

    printed = []  # what reaches the hook that prints tracebacks
    monkeypatch.setattr(threading, "excepthook", lambda args: printed.append(args.exc_value))
    full = OperationalError("UPDATE", {}, sqlite3.OperationalError("database or disk is full"))
    bug = ValueError("a bug")
    with faults_in_threads("s/study.db") as faults:
        for target in (fail(full), fail(bug)):
            thread = threading.Thread(target=target)
            thread.start()
            thread.join()
    assert [(f.errno, f.filename) for f in faults] == [(errno.ENOSPC, "s/study.db")]
    assert printed == [bug]  # a bug still shows


def test_a_stopped_search_error_is_raised_as_it_is_not_as_its_own_cause(options, monkeypatch):
    fault = SearchStoppedError("study.db: No space left on device; the search stopped: ...", errno.ENOSPC)

    def work(*args):
        raise fault

    monkeypatch.setattr(runner, "_work", work)
    with pytest.raises(SearchStoppedError) as raised:
        run_search(options)
    assert raised.value is fault and raised.value.__cause__ is not fault


def test_a_stopped_search_error_keeps_its_errno_and_file_through_a_process_queue():
    import pickle

    sent = SearchStoppedError("s/study.db: full; ...", errno.ENOSPC, "s/study.db")
    error = pickle.loads(pickle.dumps(sent))
    assert (str(error), error.errno, error.filename) == ("s/study.db: full; ...", errno.ENOSPC, "s/study.db")


def test_running_out_of_memory_in_a_trial_stops_the_search_resumable(options, monkeypatch):
    """`npnn train` stops resumable when memory runs out; a search failed the trial for good."""
    real = Trainer._train_step

    def no_memory(self, images, labels):
        if self.config.lr == 0.01 and self.position.step == 1:
            raise MemoryError("Unable to allocate 3 TiB")
        return real(self, images, labels)

    monkeypatch.setattr(Trainer, "_train_step", no_memory)
    options = dataclasses.replace(options, population_size=1)  # the Trainer's own step
    with pytest.raises(SearchStoppedError, match=r"Cannot allocate memory; the search stopped and trial "
                                                 r"\d is queued to run again: free memory") as raised:
        run_search(options)
    assert raised.value.errno == errno.ENOMEM
    study = _study(options.out)
    assert not [t for t in study.trials if t.state.name == "FAIL"]
    assert [t for t in study.trials if "queued_again" in t.user_attrs]
    monkeypatch.undo()
    assert run_search(options)["complete"] == 4


def test_workers_that_cannot_all_start_leave_no_handler_and_no_worker_behind(options, monkeypatch):
    """Process.start() failing for the second worker left the forwarding handlers installed and
    the first worker training."""
    from dataclasses import replace
    from multiprocessing.context import SpawnProcess

    real, started = SpawnProcess.start, []

    def start(self):
        if started:
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
        real(self)
        started.append(self)

    monkeypatch.setattr(SpawnProcess, "start", start)
    before = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    with pytest.raises(OSError, match="Resource temporarily unavailable"):
        work_in_processes(replace(options, jobs=2), None, runner._work)
    assert {number: signal.getsignal(number) for number in STOP_SIGNALS} == before
    assert started and started[0].exitcode is not None  # stopped, not training on


def _finish_then_get_stopped_on_the_way_out(options, index, echo, stopper):
    """A worker's work that ends, then meets a SIGTERM while its process exits."""
    multiprocessing.util.Finalize(None, os.kill, args=(os.getpid(), signal.SIGTERM), exitpriority=0)
    return 0


def test_a_stop_that_reaches_a_worker_on_its_way_out_is_not_a_kill(options):
    """The parent stops the other workers when one meets a full disk; a worker already leaving
    died of that SIGTERM, which read as a worker killed from outside, and its trial left RUNNING
    was failed (CI: two workers on a disk that filled up)."""
    assert work_in_processes(dataclasses.replace(options, jobs=2), None,
                             _finish_then_get_stopped_on_the_way_out) == 0


@pytest.mark.parametrize("jobs", [1, 2])
def test_nohup_keeps_a_search_going_after_a_hangup(tmp_path, jobs):
    """`nohup npnn search … &`: SIGHUP is ignored from the start, so a logout does not stop it."""
    args, out = _slow_search(tmp_path), tmp_path / "s"
    process = subprocess.Popen([sys.executable, "-m", "npnn", *map(str, args), "--jobs", str(jobs)],
                               env=ENV, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    _wait_training(out, range(jobs), process)
    os.killpg(process.pid, signal.SIGHUP)  # the terminal closing
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "2 complete, 0 failed" in stdout
