"""Saving without pickle: safetensors arrays plus JSON metadata, written atomically."""

import errno
import gc
import os
import subprocess
import sys
import weakref

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.serialization import CheckpointError, atomic_write_bytes, load_file, save_file


def test_save_and_load_round_trip_a_model_state_dict(tmp_path):
    npnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    npnn.save(model.state_dict(), tmp_path / "m.safetensors")
    state = npnn.load(tmp_path / "m.safetensors")
    assert list(state) == list(model.state_dict())
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(state[key], value)
        assert state[key].dtype == value.dtype


def test_nested_state_keeps_integer_keys_tuples_as_lists_and_infinity(tmp_path):
    value = {"state": {0: {"step": 3, "exp_avg": np.ones(2, np.float32)}},
             "groups": [{"betas": (0.9, 0.99), "params": [0]}], "best": float("inf")}
    save_file(tmp_path / "x.safetensors", value, {"note": "hi"})
    loaded, metadata = load_file(tmp_path / "x.safetensors")
    assert metadata == {"note": "hi"}
    assert list(loaded["state"]) == [0] and loaded["state"][0]["step"] == 3
    np.testing.assert_array_equal(loaded["state"][0]["exp_avg"], np.ones(2, np.float32))
    assert loaded["groups"][0]["betas"] == [0.9, 0.99] and loaded["best"] == float("inf")


def test_saved_and_loaded_arrays_are_freed_at_once_not_by_the_garbage_collector(tmp_path):
    """A recursive closure in `flatten` was a reference cycle holding every array of a
    checkpoint until the collector ran: a training run grew ~8 MiB per saved epoch."""
    weight = np.ones((64, 64), np.float32)
    saved = weakref.ref(weight)
    gc.disable()  # so that only reference counting frees them
    try:
        save_file(tmp_path / "x.safetensors", {"model": {"w": weight}, "opt": {0: {"m": np.ones(3)}}}, {})
        del weight
        loaded, _ = load_file(tmp_path / "x.safetensors")
        read = weakref.ref(loaded["model"]["w"])
        del loaded
        assert saved() is None and read() is None
    finally:
        gc.enable()


def test_files_are_safetensors_not_pickle(tmp_path):
    npnn.save({"w": np.zeros(3)}, tmp_path / "w.safetensors")
    header_size = int.from_bytes((tmp_path / "w.safetensors").read_bytes()[:8], "little")
    header = (tmp_path / "w.safetensors").read_bytes()[8:8 + header_size]
    assert header.startswith(b"{") and b"pickle" not in header


def test_load_of_a_damaged_file_names_the_file(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=r"bad\.safetensors"):
        npnn.load(bad)


def test_atomic_write_leaves_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")

    def failing_fsync(descriptor):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]  # no temp file left behind


def test_a_failing_cleanup_of_the_temp_file_does_not_hide_the_write_error(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"

    def full_disk(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def broken_unlink(self, missing_ok=False):
        raise OSError(errno.EIO, os.strerror(errno.EIO), str(self))

    monkeypatch.setattr(os, "fsync", full_disk)
    monkeypatch.setattr(type(target), "unlink", broken_unlink)
    with pytest.raises(OSError) as error:
        atomic_write_bytes(target, b"new")
    assert error.value.errno == errno.ENOSPC and error.value.filename == str(target)


def test_a_write_error_of_an_oserror_subclass_with_its_own_init_is_named_by_the_file(tmp_path,
                                                                                     monkeypatch):
    class RefusedError(OSError):  # as some libraries define theirs: not OSError's arguments
        def __init__(self, reason):
            super().__init__(errno.EACCES, reason)

    def refusing_fsync(descriptor):
        raise RefusedError("refused by a policy")

    monkeypatch.setattr(os, "fsync", refusing_fsync)
    with pytest.raises(PermissionError) as error:
        atomic_write_bytes(tmp_path / "f.bin", b"new")
    assert error.value.filename == str(tmp_path / "f.bin")
    assert error.value.strerror == "refused by a policy"


def test_checkpoint_loads_in_a_fresh_process(tmp_path):
    npnn.manual_seed(1)
    model = nn.Linear(5, 2)
    npnn.save(model.state_dict(), tmp_path / "m.safetensors")
    code = ("import npnn, numpy as np, sys; s = npnn.load(sys.argv[1]); "
            "print(repr(float(np.abs(s['weight']).sum())))")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.safetensors")],
                            capture_output=True, text=True, check=True, env={**os.environ})
    assert float(result.stdout) == float(np.abs(model.weight.array).sum())


def test_atomic_write_gives_new_files_the_umask_mode_not_private(tmp_path):
    previous = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "f.bin", b"x")
    finally:
        os.umask(previous)
    assert (tmp_path / "f.bin").stat().st_mode & 0o777 == 0o644


def test_a_checkpoint_damaged_after_writing_is_refused_by_name(tmp_path):
    path = tmp_path / "m.safetensors"
    save_file(path, {"w": np.arange(6, dtype=np.float32)}, {"note": "hi"})
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x40  # one bit of the last float: still a valid safetensors file
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"m\.safetensors: damaged: checksum mismatch"):
        load_file(path)


def test_a_checkpoint_without_a_digest_still_loads(tmp_path):
    import json

    from safetensors.numpy import save

    skeleton = json.dumps({"skeleton": {"w": {"__array__": "w"}}, "metadata": {"v": 1}})
    path = tmp_path / "old.safetensors"
    path.write_bytes(save({"w": np.ones(3, np.float32)}, metadata={"npnn": skeleton}))
    value, metadata = load_file(path)
    assert metadata == {"v": 1}
    np.testing.assert_array_equal(value["w"], np.ones(3, np.float32))


def test_json_files_hold_null_for_non_finite_numbers(tmp_path):
    import json

    from npnn.serialization import atomic_write_json

    atomic_write_json(tmp_path / "s.json", {"loss": float("inf"), "values": [1.5, float("nan")]})
    text = (tmp_path / "s.json").read_text()

    def refuse(name):
        raise ValueError(f"invalid JSON constant {name}")

    assert json.loads(text, parse_constant=refuse) == {"loss": None, "values": [1.5, None]}


def test_a_whole_module_is_refused_with_what_to_save_instead(tmp_path):
    with pytest.raises(TypeError,
                       match=r"got a Linear: unlike torch.save, npnn never pickles, .*model\.state_dict\(\)"):
        npnn.save(nn.Linear(2, 2), tmp_path / "m.pth")
    with pytest.raises(TypeError, match="saves a dict"):
        npnn.save([np.zeros(2)], tmp_path / "l.pth")
    assert not (tmp_path / "m.pth").exists() and not (tmp_path / "l.pth").exists()


def test_a_0d_buffer_keeps_its_shape_through_a_file(tmp_path) -> None:
    model = npnn.nn.BatchNorm2d(3)
    model(npnn.randn(4, 3, 5, 5))  # num_batches_tracked is a 0-d int64 buffer, as in PyTorch
    npnn.save(model.state_dict(), tmp_path / "bn.safetensors")
    loaded = npnn.load(tmp_path / "bn.safetensors")
    assert np.shape(loaded["num_batches_tracked"]) == () and int(loaded["num_batches_tracked"]) == 1
    fresh = npnn.nn.BatchNorm2d(3)
    fresh.load_state_dict(loaded)
    assert int(fresh.num_batches_tracked) == 1
