"""The run lock: one process at a time in a run directory, where the file system can lock."""

import errno
import os

import pytest

from npnn.training import Trainer
from npnn.training import run_lock as run_lock_module
from npnn.training.run_lock import RunBusyError, RunLock

fcntl = pytest.importorskip("fcntl", reason="runs are not locked without fcntl (Windows)")


@pytest.mark.parametrize("code", [errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS],
                         ids=["ENOLCK", "EOPNOTSUPP", "ENOSYS"])
def test_a_file_system_without_locks_trains_unlocked(tmp_path, monkeypatch, small_data, quick_config,
                                                     code):
    def no_locks(descriptor, operation):
        raise OSError(code, os.strerror(code))  # as flock on some NFS and FUSE mounts

    monkeypatch.setattr(run_lock_module.fcntl, "flock", no_locks)
    RunLock(tmp_path).release()
    trainer = Trainer.create(quick_config.replace(epochs=1), tmp_path, run_id="r", data=small_data)
    assert trainer.fit().status == "finished"


def test_a_lock_held_elsewhere_is_busy(tmp_path):
    with RunLock(tmp_path, "tested"), pytest.raises(RunBusyError, match=f"tested by process {os.getpid()}"):
        RunLock(tmp_path)
    RunLock(tmp_path).release()


@pytest.mark.parametrize("target_exists", [True, False], ids=["to a file", "dangling"])
def test_a_lock_file_that_is_a_symlink_is_refused_and_never_written_through(tmp_path, target_exists):
    target = tmp_path / "elsewhere"
    if target_exists:
        target.write_text("someone's file\n")
    run = tmp_path / "run"
    run.mkdir()
    (run / ".lock").symlink_to(target)
    with pytest.raises(OSError, match=rf"^{run / '.lock'} is a symbolic link, not the lock file"):
        RunLock(run)
    if target_exists:
        assert target.read_text() == "someone's file\n"
    else:
        assert not target.exists()
