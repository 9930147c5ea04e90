"""Damaged, hostile and half-written checkpoints: refused with CheckpointError, never executed,
and a crash while saving leaves the previous checkpoint loadable.

Covered elsewhere: strict `load_state_dict` lists missing, unexpected and mis-shaped keys in one
message (tests/nn/test_state_dict.py::
test_strict_load_names_missing_unexpected_and_mis_shaped_keys_in_one_message); a checkpoint whose
arrays changed after writing is refused by its checksum
(tests/test_serialization.py::test_a_checkpoint_damaged_after_writing_is_refused_by_name); a
failing fsync leaves the old file (test_atomic_write_leaves_old_file_when_writing_fails).
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import random
import signal
import struct
import time
from pathlib import Path

import numpy as np
import pytest
from fault_tools import dead_pid, python
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import npnn
from npnn import serialization
from npnn.models import MLP
from npnn.optim import Adam
from npnn.serialization import CheckpointError, load_file, save_file
from npnn.training import Trainer, checkpoint

FUZZ = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _small_model() -> MLP:
    npnn.manual_seed(0)
    return MLP(in_features=4, hidden=[3], num_classes=2)


def _trained(model: MLP) -> Adam:
    optimizer = Adam(model.parameters(), lr=0.01)
    loss = model(npnn.randn(5, 4)).sum()
    loss.backward()
    optimizer.step()
    return optimizer


@pytest.fixture
def best(tmp_path) -> Path:
    path = tmp_path / "best.safetensors"
    checkpoint.save_best(path, _small_model(), {"hidden": [3]}, {"step": 1})
    return path


@pytest.fixture
def last(tmp_path) -> Path:
    path = tmp_path / "last.safetensors"
    model = _small_model()
    checkpoint.save_last(path, model, _trained(model), None, {"step": 1, "epoch": 0},
                         {"hidden": [3]})
    return path


def _load_every_way(path: Path) -> None:
    """What users and npnn load checkpoints with; each must raise CheckpointError or succeed."""
    load_file(path)
    npnn.load(path)
    checkpoint.load_best(path)


def _header(path: Path) -> tuple[dict, bytes]:
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + size]), data[8 + size:]


def _write(path: Path, header: dict | bytes, body: bytes) -> None:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + body)


# ----- damage -----

def test_truncated_at_every_offset_is_refused_naming_the_file(best):
    data = best.read_bytes()
    for length in range(len(data)):
        best.write_bytes(data[:length])
        with pytest.raises(CheckpointError, match=rf"^{best}"):
            _load_every_way(best)


def test_every_bit_flip_is_refused_or_harmless(best):
    data = best.read_bytes()
    original = npnn.load(best)
    for position in range(len(data)):
        for bit in (0x01, 0x10, 0x80):
            damaged = bytearray(data)
            damaged[position] ^= bit
            best.write_bytes(bytes(damaged))
            try:
                state = npnn.load(best)
            except CheckpointError as error:
                assert str(error).startswith(str(best))
                continue
            # only JSON whitespace the parser skips may change without changing the content
            assert state.keys() == original.keys(), position
            for key in state:
                np.testing.assert_array_equal(state[key], original[key])


@pytest.mark.parametrize("declared", ["file+1", "file+100", "2**63", "0", "7"])
def test_a_header_length_beyond_the_file_or_too_small_is_refused(best, declared):
    data = best.read_bytes()
    size = eval(declared.replace("file", str(len(data))))
    best.write_bytes(struct.pack("<Q", size) + data[8:])
    with pytest.raises(CheckpointError, match=r"not a readable safetensors file"):
        _load_every_way(best)


@pytest.mark.parametrize("offsets", [
    ((0, 8), (4, 12)),  # overlapping
    ((0, 8), (8, 20)),  # the second runs past the data
    ((8, 0), (0, 8)),  # reversed
    ((0, 8), (12, 20)),  # a gap
    ((0, 4), (4, 12)),  # offsets that disagree with the shape
], ids=["overlap", "past-end", "reversed", "gap", "wrong-size"])
def test_bad_data_offsets_are_refused(tmp_path, offsets):
    path = tmp_path / "x.safetensors"
    header = {name: {"dtype": "F32", "shape": [2], "data_offsets": list(span)}
              for name, span in zip("ab", offsets, strict=True)}
    _write(path, header, bytes(16))
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_file(path)


_ENTRY = '{"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}'


@pytest.mark.parametrize("header, message", [
    # the safetensors library keeps one of the two names (Python's json the last) without a word
    (f'{{"a": {_ENTRY}, "a": {_ENTRY}}}', "the key 'a' appears twice"),
    (f'{{"a": {_ENTRY}, "\\u0061": {_ENTRY}}}', "the key 'a' appears twice"),
    (f'{{"__metadata__": {{"npnn": "{{}}", "npnn": "{{}}"}}, "a": {_ENTRY}}}',
     "the key 'npnn' appears twice"),
    ('{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8], "scale": 2}}',
     "tensor 'a' has fields a tensor cannot have: scale"),
    ('{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8], "x": ' + "[" * 500 + "]" * 500 + "}}",
     "nested more than 100 levels deep"),
    ('[]', "it is a JSON list, not an object"),
], ids=["duplicate-name", "duplicate-escaped-name", "duplicate-metadata-key", "unknown-field", "deep",
        "list"])
def test_header_oddities_the_safetensors_library_lets_through_are_refused(tmp_path, header, message):
    path = tmp_path / "x.safetensors"
    _write(path, header.encode(), bytes(8))
    with pytest.raises(CheckpointError, match=rf"^{path}: not a readable safetensors file \(its header: "
                                              rf"{message}"):
        load_file(path)


@pytest.mark.parametrize("metadata, message", [
    ('{"skeleton": {}, "skeleton": {}, "metadata": null}', "the key 'skeleton' appears twice"),
    ('{"skeleton": ' + "[" * 100_000 + "]" * 100_000 + ', "metadata": null}', "nested more than 100 levels"),
    ('{"skeleton": ' + "[" * 500 + "]" * 500 + ', "metadata": null}', "nested more than 100 levels"),
], ids=["duplicate-key", "deep", "deep-but-parsable"])
def test_npnn_metadata_json_twice_keyed_or_deep_is_refused(tmp_path, metadata, message):
    path = tmp_path / "x.safetensors"
    _write(path, {"__metadata__": {"npnn": metadata}}, b"")
    with pytest.raises(CheckpointError, match=rf"^{path}: damaged npnn metadata .*{message}"):
        load_file(path)


@pytest.mark.parametrize("dtype", ["BF16", "F8_E4M3", "F8_E5M2"])
def test_a_dtype_numpy_cannot_hold_is_refused(tmp_path, dtype):
    path = tmp_path / "x.safetensors"
    _write(path, {"w": {"dtype": dtype, "shape": [4], "data_offsets": [0, 4 * (2 if "16" in dtype else 1)]}},
           bytes(8 if "16" in dtype else 4))
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_file(path)


@pytest.mark.parametrize("kind", ["a folder", "a FIFO"])
def test_a_checkpoint_path_that_is_not_a_file_is_refused_without_blocking(tmp_path, kind):
    path = tmp_path / "best.safetensors"
    path.mkdir() if kind == "a folder" else os.mkfifo(path)
    with pytest.raises(CheckpointError, match=rf"^{path} is (a directory|not a regular file)"):
        npnn.load(path)


# ----- wrong dtype or shape for the model, damaged resumable state -----

def _rewrite_last(run: Path, change) -> None:
    """Load last.safetensors, change it, and save it again with a valid checksum."""
    value, metadata = load_file(run / "last.safetensors")
    change(value)
    save_file(run / "last.safetensors", value, metadata)


@pytest.mark.parametrize("change, message", [
    (lambda v: v["model"].update({"layers.0.weight": v["model"]["layers.0.weight"].astype(np.int32)}),
     r"wrong dtype for the model: layers\.0\.weight: int32 in the file, float32 in the model"),
    (lambda v: v["model"].update({"layers.0.weight": v["model"]["layers.0.weight"][:, :5]}),
     r"config\.json does not match .*last\.safetensors .*size mismatch for layers\.0\.weight"),
    (lambda v: v["model"].update({"layers.0.bias": np.zeros(16, bool)}),
     r"layers\.0\.bias: dtype bool is not a number type"),
    (lambda v: v["optimizer"]["state"][0].update({"exp_avg": np.zeros(3, np.float32)}),
     r"cannot restore the optimizer.*'exp_avg' of parameter 0 has shape \(3,\)"),
    (lambda v: v["scheduler"].update(optimizer={"param_groups": []}), r"damaged scheduler state"),
    (lambda v: v["scheduler"].update(last_epoch="three"), r"damaged scheduler state"),
    (lambda v: v.update(rng={"bit_generator": "nope"}), r"cannot restore the optimizer, scheduler or RNG"),
    # found by the fuzz test below
    (lambda v: v["rng"]["state"].update(inc=-1), r"RNG from it \(OverflowError"),
    (lambda v: v.pop("scheduler"), r"damaged: a resumable checkpoint holds"),
    (lambda v: v["trainer"].update(step="ten"), r"damaged trainer state"),
    (lambda v: v["trainer"].update(lap=3), r"damaged trainer state"),
], ids=["int-weight", "mis-shaped", "bool-bias", "optimizer-shape", "scheduler-key", "scheduler-value", "rng",
        "rng-negative", "no-scheduler", "step-text", "unknown-field"])
def test_a_resumable_checkpoint_that_does_not_fit_the_model_is_refused(interrupted, tiny_data, change,
                                                                       message):
    _rewrite_last(interrupted, change)
    with pytest.raises(CheckpointError, match=message):
        Trainer.resume(interrupted, data=tiny_data)


def test_a_best_checkpoint_of_the_wrong_kind_is_refused(tmp_path, last):
    with pytest.raises(CheckpointError, match="not an npnn model checkpoint"):
        checkpoint.load_best(last)
    save_file(tmp_path / "b.safetensors", {"w": np.ones(2, bool)}, {"format": "npnn-model"})
    with pytest.raises(CheckpointError, match="w: dtype bool is not a number type"):
        checkpoint.load_best(tmp_path / "b.safetensors")


# ----- pickles are never loaded -----

class _Payload:
    """A pickle that creates `marker` when unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_pickle_renamed_to_safetensors_is_refused_and_never_run(tmp_path, protocol, interrupted, tiny_data,
                                                                 monkeypatch):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"weight": _Payload(marker)}, protocol=protocol)
    pickle.loads(payload)  # the payload is live: unpickling it makes the marker
    assert marker.exists()
    marker.unlink()
    for name in ("best.safetensors", "last.safetensors"):
        (interrupted / name).write_bytes(payload)
    (tmp_path / "model.safetensors").write_bytes(payload)
    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, lambda *a, **k: pytest.fail("something tried to unpickle"))
    for load in (lambda: npnn.load(tmp_path / "model.safetensors"),
                 lambda: checkpoint.load_best(interrupted / "best.safetensors"),
                 lambda: Trainer.resume(interrupted, data=tiny_data)):
        # npnn.load names it as PyTorch's legacy format; the run's own files stay safetensors only
        refused = r"not a readable safetensors file|a raw pickle .* never unpickles"
        with pytest.raises(CheckpointError, match=refused):
            load()
    from npnn.training.evaluation import evaluate_run

    with pytest.raises(CheckpointError, match=r"best\.safetensors: not a readable safetensors file"):
        evaluate_run(interrupted, "test")
    assert not marker.exists()


def test_a_numpy_object_array_renamed_to_safetensors_is_refused(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.safetensors"
    with open(path, "wb") as handle:
        np.save(handle, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    with pytest.raises(CheckpointError):
        npnn.load(path)
    assert not marker.exists()


# ----- property-based fuzzing of the loader -----

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda items: st.lists(items, max_size=4) | st.dictionaries(st.text(max_size=8), items, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(data=st.binary(max_size=600))
def test_fuzz_random_bytes(fuzz_dir, data):
    path = fuzz_dir / "random.safetensors"
    path.write_bytes(data)
    with contextlib.suppress(CheckpointError):
        _load_every_way(path)


def _paths(value, prefix=()):
    """Every (path, value) inside nested dicts and lists."""
    yield prefix, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _mutate(value, path, replacement):
    if not path:
        return replacement
    copy = json.loads(json.dumps(value))
    target = copy
    for key in path[:-1]:
        target = target[key]
    if replacement is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = replacement
    return copy


_DELETE = object()


@FUZZ
@given(data=st.data())
@pytest.mark.filterwarnings("error::RuntimeWarning")  # e.g. a saved beta of 1 was divided by first
def test_fuzz_header_mutations(fuzz_dir, data):
    """One field of a real checkpoint's header replaced, deleted or given random JSON; with the
    checksum left out, so that the checks behind it are reached too."""
    model = _small_model()
    source = fuzz_dir / "source.safetensors"
    checkpoint.save_last(source, model, _trained(model), None, {"step": 1}, {"hidden": [3]})
    header, body = _header(source)
    if data.draw(st.booleans(), label="drop checksum"):
        header["__metadata__"].pop("npnn_sha256")
    if data.draw(st.booleans(), label="mutate npnn metadata"):
        stored = json.loads(header["__metadata__"]["npnn"])
        paths = list(_paths(stored))
        path, _ = data.draw(st.sampled_from(paths), label="metadata path")
        replacement = data.draw(JSON | st.just(_DELETE), label="replacement") if path else data.draw(JSON)
        header["__metadata__"]["npnn"] = json.dumps(_mutate(stored, path, replacement))
    else:
        paths = [p for p, _ in _paths(header) if p]
        path = data.draw(st.sampled_from(paths), label="header path")
        header = _mutate(header, path, data.draw(JSON | st.just(_DELETE), label="replacement"))
    target = fuzz_dir / "mutated.safetensors"
    _write(target, header, body)
    with contextlib.suppress(CheckpointError):
        _load_every_way(target)
    try:
        model = _small_model()
        checkpoint.load_last(target, model, Adam(model.parameters()), None, {"hidden": [3]})
    except CheckpointError:
        pass
    except RuntimeError as error:  # load_state_dict: the model's shape differs (the trainer blames config)
        assert "Error(s) in loading state_dict" in str(error)


# ----- crashes while saving -----

class _DiesAfter:
    """A file handle whose writes stop with `error` after `limit` bytes."""

    def __init__(self, handle, limit: int, error: BaseException) -> None:
        self.handle, self.limit, self.error = handle, limit, error

    def write(self, data: bytes) -> int:
        room = max(self.limit, 0)
        self.handle.write(data[:room])
        self.limit -= len(data)
        if self.limit < 0:
            raise self.error
        return len(data)

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.handle.__exit__(*exc)


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()],
                         ids=["disk-full", "ctrl-c"])
def test_a_crash_after_n_bytes_of_a_save_leaves_the_previous_checkpoint(tmp_path, monkeypatch, error):
    path = tmp_path / "last.safetensors"
    save_file(path, {"w": np.zeros(1000, np.float32)}, {"generation": 0})
    previous = path.read_bytes()
    real_fdopen = os.fdopen
    for limit in (0, 1, 8, 100, 2000, len(previous) - 1):
        monkeypatch.setattr(serialization.os, "fdopen",
                            lambda fd, mode, limit=limit: _DiesAfter(real_fdopen(fd, mode), limit, error))
        with pytest.raises(type(error)):
            save_file(path, {"w": np.ones(1000, np.float32)}, {"generation": 1})
        monkeypatch.setattr(serialization.os, "fdopen", real_fdopen)
        assert path.read_bytes() == previous
        value, metadata = load_file(path)
        assert metadata == {"generation": 0} and not value["w"].any()
        assert [p.name for p in tmp_path.iterdir()] == ["last.safetensors"]  # no temp file left


SAVE_LOOP = """
import sys
import numpy as np
from npnn.serialization import save_file
for generation in range(10**6):
    save_file(sys.argv[1], {"w": np.full(200_000, generation, np.float32)}, {"generation": generation})
    print(generation, flush=True)
"""

SAVE_ONCE = """
import sys
import numpy as np
from npnn.serialization import save_file
save_file(sys.argv[1], {"w": np.zeros(3, np.float32)}, {"generation": -1})
"""


def test_sigkill_in_a_save_loop_leaves_a_complete_checkpoint_and_stale_temp_files_are_swept(tmp_path):
    path = tmp_path / "last.safetensors"
    rng = random.Random()
    killed_pids = []
    for _ in range(4):
        process = python(SAVE_LOOP, path)
        assert process.stdout.readline().strip() != ""  # one complete save
        time.sleep(rng.uniform(0.0, 0.05))
        process.send_signal(signal.SIGKILL)
        process.communicate()
        killed_pids.append(process.pid)
        value, metadata = load_file(path)  # the last complete generation, never a mix
        assert (value["w"] == metadata["generation"]).all()
    live = tmp_path / f".last.safetensors.{os.getpid()}.live_123.tmp"  # a writer still running
    stale = tmp_path / f".last.safetensors.{dead_pid()}.gone_123.tmp"
    legacy = tmp_path / ".last.safetensors.abc12345.tmp"  # written before names carried a PID
    other = tmp_path / ".last.safetensors.bak.1.abc12345.tmp"  # another file's: not ours to sweep
    for temp in (live, stale, legacy, other):
        temp.write_bytes(b"half a checkpoint")
    past = time.time() - 3600
    for temp in tmp_path.iterdir():
        os.utime(temp, (past, past))

    saver = python(SAVE_ONCE, path)
    _, err = saver.communicate(timeout=60)
    assert saver.returncode == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, live.name, other.name])
    assert load_file(path)[1] == {"generation": -1}
