"""npnn.load of torch.save files built by hand (no torch needed): tensors by stride, offset and
byte order; hostile pickles refused by name without running or importing anything; damaged zips
refused with CheckpointError naming the file. test_pytorch_checkpoint_torch.py loads torch's own."""

from __future__ import annotations

import os
import pickle
import struct
import sys
import time
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.serialization import CheckpointError

# ----- a tiny pickle writer: the opcodes torch.save writes, spelled out -----


def text(value: str) -> bytes:
    data = value.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def integer(value: int) -> bytes:
    return b"J" + struct.pack("<i", value)


def items(*parts: bytes) -> bytes:
    return b"(" + b"".join(parts) + b"t"  # MARK ... TUPLE


def name(module: str, attribute: str) -> bytes:
    return f"c{module}\n{attribute}\n".encode()  # GLOBAL


def tensor(key: str, numel: int, size: tuple, stride: tuple, offset: int = 0,
           storage: str = "FloatStorage") -> bytes:
    pid = items(text("storage"), name("torch", storage), text(key), text("cpu"), integer(numel)) + b"Q"
    hooks = name("collections", "OrderedDict") + b")R"
    return name("torch._utils", "_rebuild_tensor_v2") + items(
        pid, integer(offset), items(*map(integer, size)), items(*map(integer, stride)), b"\x89", hooks) + b"R"


def mapping(**entries: bytes) -> bytes:
    return b"}(" + b"".join(text(k) + v for k, v in entries.items()) + b"u"  # EMPTY_DICT MARK SETITEMS


def pickled(body: bytes) -> bytes:
    return b"\x80\x02" + body + b"."


def write_pth(path, data_pkl: bytes, records: dict | None = None, byteorder: bytes | None = b"little",
              prefix: str = "archive", compression: int = zipfile.ZIP_STORED):
    """A zip laid out as torch.save's; `compression` for the data records only."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{prefix}/data.pkl", data_pkl)
        if byteorder is not None:
            archive.writestr(f"{prefix}/byteorder", byteorder)
        for key, data in (records or {}).items():
            archive.writestr(f"{prefix}/data/{key}", data, compress_type=compression)
    return path


def matrix_file(path, byteorder: str = "little"):
    """A 3x4 float32 storage holding 0..11, saved as the matrix, its transpose, a row and a tail."""
    storage = np.arange(12, dtype=("<f4" if byteorder == "little" else ">f4")).tobytes()
    body = mapping(m=tensor("0", 12, (3, 4), (4, 1)), t=tensor("0", 12, (4, 3), (1, 4)),
                   row=tensor("0", 12, (4,), (1,), offset=4), tail=tensor("0", 12, (3,), (1,), offset=9),
                   epoch=integer(3), names=b"]" + text("a") + b"a")
    return write_pth(path, pickled(body), {"0": storage}, byteorder.encode())


@pytest.mark.parametrize("byteorder", ["little", "big"])
def test_a_hand_built_file_gives_views_by_stride_and_offset_as_copies(tmp_path, byteorder) -> None:
    state = npnn.load(matrix_file(tmp_path / "m.pth", byteorder))
    matrix = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(state["m"], matrix)
    np.testing.assert_array_equal(state["t"], matrix.T)
    np.testing.assert_array_equal(state["row"], matrix[1])
    np.testing.assert_array_equal(state["tail"], matrix[2, 1:])
    assert state["m"].dtype == np.float32 and state["m"].dtype.isnative
    assert state["epoch"] == 3 and state["names"] == ["a"]
    state["m"][0, 0] = 100.0  # each array is its own writable copy
    assert state["t"][0, 0] == 0.0


def test_a_file_without_a_byteorder_record_is_little_endian(tmp_path) -> None:
    data = np.array([1.5, -2.0], "<f8").tobytes()
    body = mapping(w=tensor("0", 2, (2,), (1,), storage="DoubleStorage"))
    path = write_pth(tmp_path / "w.pth", pickled(body), {"0": data}, byteorder=None)
    np.testing.assert_array_equal(npnn.load(path)["w"], [1.5, -2.0])


def test_bfloat16_becomes_float32_exactly_and_bool_reads_as_bool(tmp_path) -> None:
    values = np.array([1.0, -2.5, 3.140625], np.float32)  # exact in bfloat16
    bfloat = (values.view(np.uint32) >> 16).astype("<u2").tobytes()
    body = mapping(b=tensor("0", 3, (3,), (1,), storage="BFloat16Storage"),
                   m=tensor("1", 2, (2,), (1,), storage="BoolStorage"))
    state = npnn.load(write_pth(tmp_path / "b.pth", pickled(body), {"0": bfloat, "1": b"\x00\x01"}))
    assert state["b"].dtype == np.float32 and state["m"].dtype == np.bool_
    np.testing.assert_array_equal(state["b"], values)
    np.testing.assert_array_equal(state["m"], [False, True])


def test_0d_bfloat16_and_bool_tensors_are_0d_arrays(tmp_path) -> None:
    """NumPy's `!=` and `<<` give a 0-d input back as a NumPy scalar, which is no array."""
    bfloat = (np.array([1.5], np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
    body = mapping(b=tensor("0", 1, (), (), storage="BFloat16Storage"),
                   m=tensor("1", 1, (), (), storage="BoolStorage"))
    state = npnn.load(write_pth(tmp_path / "s.pth", pickled(body), {"0": bfloat, "1": b"\x01"}))
    assert isinstance(state["b"], np.ndarray) and state["b"].shape == () and state["b"].dtype == np.float32
    assert isinstance(state["m"], np.ndarray) and state["m"].shape == () and state["m"].dtype == np.bool_
    assert state["b"] == 1.5 and state["m"]


def test_a_linear_state_dict_built_by_hand_loads_into_a_model(tmp_path) -> None:
    weight, bias = np.arange(6, dtype=np.float32).reshape(2, 3), np.array([0.5, -0.5], np.float32)
    body = mapping(weight=tensor("0", 6, (2, 3), (3, 1)), bias=tensor("1", 2, (2,), (1,)))
    path = write_pth(tmp_path / "l.pth", pickled(body), {"0": weight.tobytes(), "1": bias.tobytes()})
    model = nn.Linear(3, 2)
    model.load_state_dict(npnn.load(path))
    np.testing.assert_array_equal(model.weight.numpy(), weight)
    np.testing.assert_array_equal(model.bias.numpy(), bias)


def test_dtypes_devices_and_sets_are_plain_values(tmp_path) -> None:
    """As torch.load(weights_only=True) takes them: a dtype as its name, a device as its string."""
    body = mapping(dt=name("torch", "float32"), half=name("torch", "bfloat16"),
                   cpu=name("torch", "device") + items(text("cpu")) + b"R",
                   gpu=name("torch", "device") + items(text("cuda"), integer(1)) + b"R",
                   old=name("__builtin__", "set") + items(b"](" + integer(1) + integer(2) + b"e") + b"R",
                   new=b"\x8f(" + integer(3) + text("a") + b"\x90")  # protocol 4: EMPTY_SET, ADDITEMS
    state = npnn.load(write_pth(tmp_path / "v.pth", pickled(body)))
    assert state == {"dt": "float32", "half": "bfloat16", "cpu": "cpu", "gpu": "cuda:1", "old": {1, 2},
                     "new": {3, "a"}}
    assert np.dtype(state["dt"]) == np.float32


def tensor_v3(key: str, nbytes: int, size: tuple, stride: tuple, dtype: str) -> bytes:
    """A tensor as torch.save writes the dtypes without a storage class: untyped bytes + a dtype."""
    pid = items(text("storage"), name("torch.storage", "UntypedStorage"), text(key), text("cpu"),
                integer(nbytes)) + b"Q"
    hooks = name("collections", "OrderedDict") + b")R"
    return name("torch._utils", "_rebuild_tensor_v3") + items(
        pid, integer(0), items(*map(integer, size)), items(*map(integer, stride)), b"\x89", hooks,
        name("torch", dtype)) + b"R"


def test_unsigned_tensors_of_the_untyped_storage_format_load(tmp_path) -> None:
    values = {"uint16": np.array([[1, 65535], [7, 8]], "<u2"), "uint32": np.array([2**32 - 1, 0], "<u4"),
              "uint64": np.array(2**64 - 1, "<u8")}
    body = mapping(**{dtype: tensor_v3(dtype, array.nbytes, array.shape, tuple(s // array.itemsize
                                                                             for s in array.strides), dtype)
                      for dtype, array in values.items()},
                   t=tensor_v3("uint16", 8, (2, 2), (1, 2), "uint16"))
    records = {dtype: array.tobytes() for dtype, array in values.items()}
    state = npnn.load(write_pth(tmp_path / "u.pth", pickled(body), records))
    for dtype, array in values.items():
        assert state[dtype].dtype == np.dtype(dtype) and state[dtype].shape == array.shape
        np.testing.assert_array_equal(state[dtype], array)
    np.testing.assert_array_equal(state["t"], values["uint16"].T)


def test_a_tensor_of_a_dtype_numpy_lacks_is_refused_as_unsupported_not_as_hostile(tmp_path) -> None:
    body = mapping(x=tensor_v3("0", 2, (2,), (1,), "float8_e4m3fn"))
    path = write_pth(tmp_path / "f8.pth", pickled(body), {"0": b"\x00\x01"})
    with pytest.raises(CheckpointError) as caught:
        npnn.load(path)
    message = str(caught.value)
    assert str(path) in message and "dtype torch.float8_e4m3fn, which npnn does not support" in message
    assert "refused" not in message and "calls" not in message


# ----- hostile pickles: refused by name, nothing run, nothing imported -----

EVIL_MODULE = "npnn_evil_module_for_tests"


@pytest.fixture
def marker(tmp_path, monkeypatch):
    """A file that exists only if the pickle's code ran, and a module whose import creates it too."""
    path = tmp_path / "ran.txt"
    (tmp_path / f"{EVIL_MODULE}.py").write_text(
        f"open({str(path)!r}, 'w').close()\ndef boom(*args):\n    open({str(path)!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return path


class RunsACommand:
    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def hostile_pickles(marker) -> dict[str, tuple[bytes, str]]:
    touch, command = text(f"touch {marker}"), RunsACommand(f"touch {marker}")
    return {
        "os.system": (pickled(name("os", "system") + items(touch) + b"R"), "os.system"),
        "builtins.eval": (pickled(name("builtins", "eval") + items(text("1")) + b"R"), "builtins.eval"),
        "subprocess.Popen": (pickled(name("subprocess", "Popen") + items(touch) + b"R"), "subprocess.Popen"),
        "a module of its own": (pickled(name(EVIL_MODULE, "boom") + b")R"), f"{EVIL_MODULE}.boom"),
        "pickle.dumps, protocol 2": (pickle.dumps(command, 2), ".system"),
        "pickle.dumps, protocol 5 (STACK_GLOBAL)": (pickle.dumps(command, 5), ".system"),
        "inside a state_dict": (pickled(mapping(w=name("os", "system") + items(touch) + b"R")), "os.system"),
        "REDUCE of an allowed storage type": (pickled(name("torch", "FloatStorage") + b")R"),
                                              "torch.FloatStorage"),
        "NEWOBJ": (pickled(name("collections", "OrderedDict") + b")\x81"), "NEWOBJ"),
        "INST": (b"(i" + EVIL_MODULE.encode() + b"\nboom\n.", "INST"),
        "EXT1": (pickled(b"\x82\x01"), "EXT1"),
        "BUILD on a dict": (pickled(b"}}b"), "sets the state of a dict"),
        "BUILD of other OrderedDict attributes": (
            pickled(name("collections", "OrderedDict") + b")R}" + text("__class__") + b"Nsb"),
            "sets the state"),
        "a tensor with backward hooks": (pickled(
            name("torch._utils", "_rebuild_parameter") + items(b"N", b"\x88", b"}" + text("h") + b"Ns")
            + b"R"),
            "backward hooks"),
        "a persistent id that is not a storage": (pickled(items(text("module"), b"N") + b"Q"), "persistent"),
        "an allowed function left in the value": (
            pickled(mapping(f=name("torch._utils", "_rebuild_tensor_v2"))), "_rebuild_tensor_v2 itself"),
        "a bare storage": (pickled(items(text("storage"), name("torch", "FloatStorage"), text("0"),
                                         text("cpu"), integer(0)) + b"Q"), "a storage"),
    }


CASES = list(hostile_pickles("MARKER"))


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_pickle_is_refused_by_name_and_never_runs(tmp_path, marker, case) -> None:
    data, what = hostile_pickles(marker)[case]
    path = write_pth(tmp_path / "evil.pth", data, {"0": b""})
    with pytest.raises(CheckpointError) as caught:
        npnn.load(path, weights_only=False)
    message = str(caught.value)
    assert str(path) in message and "refused to load" in message and what in message, message
    assert "\n" not in message
    assert not marker.exists(), "the pickle's code ran"
    assert EVIL_MODULE not in sys.modules, "the pickle's module was imported"


def test_the_refusal_names_the_function_and_what_npnn_reads(tmp_path, marker) -> None:
    path = write_pth(tmp_path / "evil.pth", hostile_pickles(marker)["os.system"][0])
    with pytest.raises(CheckpointError, match=r"refused to load: its pickle calls os\.system, which npnn"
                                              r"\.load never runs \(npnn reads only tensors"):
        npnn.load(path)


def test_a_legacy_raw_pickle_is_refused_with_how_to_resave(tmp_path, marker) -> None:
    legacy = tmp_path / "legacy.pth"
    command = RunsACommand(f"touch {marker}")
    legacy.write_bytes(pickle.dumps(0x1950A86A20F9469CFC6C, 2) + pickle.dumps(command, 2))
    plain = tmp_path / "plain.pt"
    plain.write_bytes(pickle.dumps({"w": [1.0, 2.0], "f": command}, 4))
    for path in (legacy, plain):
        with pytest.raises(CheckpointError, match=r"re-save it with a current torch\.save") as caught:
            npnn.load(path)
        assert str(path) in str(caught.value)
    assert not marker.exists()


# ----- damaged files: CheckpointError naming the file, nothing else -----

def damaged_files(tmp_path) -> dict[str, os.PathLike]:
    floats = np.zeros(6, np.float32).tobytes()
    six = pickled(mapping(w=tensor("0", 6, (2, 3), (3, 1))))
    paths = {
        "missing data record": write_pth(tmp_path / "a.pth", six, {}),
        "record size differs from numel": write_pth(tmp_path / "b.pth", six, {"0": floats[:20]}),
        "shape past the storage": write_pth(tmp_path / "c.pth", pickled(tensor("0", 6, (3, 3), (3, 1))),
                                            {"0": floats}),
        "offset past the storage": write_pth(tmp_path / "d.pth", pickled(tensor("0", 6, (2,), (1,), 5)),
                                             {"0": floats}),
        "huge shape": write_pth(tmp_path / "e.pth", pickled(tensor("0", 6, (2**31 - 1, 2**31 - 1), (1, 1))),
                                {"0": floats}),
        "expand bomb (stride 0)": write_pth(
            tmp_path / "f.pth", pickled(tensor("0", 1, (2**31 - 1, 2**31 - 1), (0, 0))), {"0": floats[:4]}),
        "negative size": write_pth(tmp_path / "g.pth", pickled(tensor("0", 6, (-1,), (1,))), {"0": floats}),
        "key with a path": write_pth(tmp_path / "h.pth", pickled(tensor("../../etc/passwd", 6, (6,), (1,))),
                                     {"0": floats}),
        "unknown storage type": write_pth(
            tmp_path / "i.pth", pickled(tensor("0", 6, (6,), (1,), storage="Float8")), {"0": floats}),
        "byteorder garbage": write_pth(tmp_path / "j.pth", six, {"0": floats}, byteorder=b"middle"),
        "truncated pickle": write_pth(tmp_path / "k.pth", six[:40], {"0": floats}),
        "pickle with junk opcode": write_pth(tmp_path / "l.pth", b"\x80\x02\xff.", {}),
        "pickle with a wrong stack at STOP": write_pth(tmp_path / "m.pth", b"\x80\x02NN.", {}),
        "a negative length": write_pth(tmp_path / "s.pth", pickled(b"\x8b" + struct.pack("<i", -5)), {}),
        "a list that contains itself": write_pth(tmp_path / "t.pth", pickled(b"]q\x00h\x00a"), {}),
        "lists nested 100 deep": write_pth(tmp_path / "u.pth", pickled(b"]" * 100 + b"a" * 99), {}),
        "zip bomb (compressed record)": write_pth(tmp_path / "n.pth", pickled(tensor("0", 2**22, (4,), (1,))),
                                                  {"0": bytes(2**24)}, compression=zipfile.ZIP_DEFLATED),
        "not a torch.save zip": write_pth(tmp_path / "o.pth", b"", {}, prefix="x/../.."),
        "records outside a folder": tmp_path / "p.pth",
        "truncated zip": tmp_path / "q.pth",
        "zip magic then junk": tmp_path / "r.pth",
    }
    with zipfile.ZipFile(paths["records outside a folder"], "w") as archive:
        archive.writestr("data.pkl", pickled(b"N"))
    good = matrix_file(tmp_path / "good.pth").read_bytes()
    paths["truncated zip"].write_bytes(good[: len(good) // 2])
    paths["zip magic then junk"].write_bytes(b"PK\x03\x04" + bytes(100))
    return paths


DAMAGED = ["missing data record", "record size differs from numel", "shape past the storage",
           "offset past the storage", "huge shape", "expand bomb (stride 0)", "negative size",
           "key with a path",
           "unknown storage type", "byteorder garbage", "truncated pickle", "pickle with junk opcode",
           "pickle with a wrong stack at STOP", "a negative length", "a list that contains itself",
           "lists nested 100 deep", "zip bomb (compressed record)", "not a torch.save zip",
           "records outside a folder", "truncated zip", "zip magic then junk"]


@pytest.mark.parametrize("case", DAMAGED)
def test_a_damaged_file_raises_checkpoint_error_naming_it(tmp_path, case) -> None:
    path = damaged_files(tmp_path)[case]
    with pytest.raises(CheckpointError) as caught:
        npnn.load(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def damage(data: bytes, rng: np.random.Generator, start: int = 0) -> bytes:
    damaged = bytearray(data)
    for index in rng.integers(start, len(damaged), size=rng.integers(1, 4)):
        damaged[index] = rng.integers(0, 256)
    return bytes(damaged)


def test_random_damage_raises_checkpoint_error_or_loads(tmp_path) -> None:
    """Bytes changed anywhere in the file (mostly caught by the zip's CRC), and in the pickle itself
    (written with a correct CRC, so the pickle reader meets them)."""
    good = matrix_file(tmp_path / "good.pth").read_bytes()
    with zipfile.ZipFile(tmp_path / "good.pth") as archive:
        data_pkl, storage = archive.read("archive/data.pkl"), archive.read("archive/data/0")
    rng = np.random.default_rng(0)
    path = tmp_path / "bad.pth"
    for trial in range(400):
        if trial % 2:
            path.write_bytes(damage(good, rng, start=4))
        else:
            write_pth(path, damage(data_pkl, rng), {"0": storage})
        try:
            npnn.load(path)
        except CheckpointError as error:
            assert str(path) in str(error)


def test_map_location_cuda_moves_every_array_of_a_torch_file(tmp_path, monkeypatch) -> None:
    """The arrays inside dicts, lists and tuples go to backend.to_device (CuPy on a GPU machine)."""
    moved = []
    monkeypatch.setattr(npnn.backend, "to_device",
                        lambda array, device: moved.append(device) or ("on", device))
    path = matrix_file(tmp_path / "m.pth")
    state = npnn.load(path, map_location="cuda")
    assert state["m"] == ("on", "cuda") and state["t"] == ("on", "cuda") and len(moved) == 4
    assert state["epoch"] == 3 and state["names"] == ["a"]


def test_a_record_given_twice_is_refused(tmp_path) -> None:
    """zipfile would read the last of two records of one name, another reader the first."""
    path = matrix_file(tmp_path / "twice.pth")
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "a") as archive:
        archive.writestr("archive/data/0", np.ones(12, np.float32).tobytes())
    with pytest.raises(CheckpointError, match="twice") as caught:
        npnn.load(path)
    assert str(path) in str(caught.value)


def overlapping_zip(path, records: int, size: int):
    """A zip whose `records` stored records all end with the same `size` bytes: each record's bytes
    hold the local headers of the records after it (as zip bombs without compression are made)."""
    names = [f"archive/data/{index:04d}".encode() for index in range(records)]

    def header(name: bytes, data: bytes) -> bytes:  # a local file header, stored
        return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, zlib.crc32(data), len(data),
                           len(data), len(name), 0) + name

    def central(name: bytes, data: bytes, offset: int) -> bytes:
        return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, zlib.crc32(data),
                           len(data), len(data), len(name), 0, 0, 0, 0, 0, offset) + name

    pid = b"".join(items(text("storage"), name("torch", "ByteStorage"), text(f"{index:04d}"), text("cpu"),
                         integer(size + (records - 1 - index) * (30 + len(names[index])))) + b"Q0"
                   for index in range(records))
    out, directory = bytearray(), []
    for record, data in ((b"archive/data.pkl", pickled(pid + b"N")), (b"archive/byteorder", b"little")):
        directory.append(central(record, data, len(out)))
        out += header(record, data) + data
    chain = bytes(size)
    for index in reversed(range(records)):
        offset = len(out) + sum(30 + len(n) for n in names[:index])
        directory.insert(2, central(names[index], chain, offset))
        chain = header(names[index], chain) + chain
    start = len(out) + len(chain)
    out += chain + b"".join(directory)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(directory), len(directory),
                       len(out) - start, start, 0)
    path.write_bytes(out)
    return path


def test_records_that_overlap_are_refused_before_any_is_read(tmp_path) -> None:
    """200 records sharing one 2 MB run of bytes read as 400 MB (Python 3.11's zipfile does not
    check for overlaps)."""
    path = overlapping_zip(tmp_path / "overlap.pth", records=50, size=20_000)
    with zipfile.ZipFile(path) as archive:  # a zip that zipfile reads, every record intact
        assert archive.testzip() is None
        assert sum(len(archive.read(info)) for info in archive.infolist()) > 50 * 20_000 > path.stat().st_size
    with pytest.raises(CheckpointError, match="overlaps another") as caught:
        npnn.load(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_storages_read_count_against_the_memory_budget(tmp_path, monkeypatch) -> None:
    storage = np.zeros(1000, np.float32).tobytes()
    path = write_pth(tmp_path / "s.pth", pickled(mapping(w=tensor("0", 1000, (0,), (1,)))), {"0": storage})
    assert npnn.load(path)["w"].shape == (0,)  # an empty view: only the storage takes memory
    monkeypatch.setattr(npnn.pytorch_checkpoint, "SLACK_BYTES", 4000 - 4 * path.stat().st_size - 1)
    with pytest.raises(CheckpointError, match="its storages would take more than 4 times") as caught:
        npnn.load(path)
    assert str(path) in str(caught.value)


def test_a_pickle_of_many_empty_dicts_is_refused_quickly_in_bounded_memory(tmp_path, monkeypatch) -> None:
    """Each 1-byte EMPTY_DICT makes a 64-byte dict: 2 MB of them took 446 MB and 50 s. Here with
    8 MB of slack instead of 64 MB, so 300,000 of them are over the budget."""
    monkeypatch.setattr(npnn.pytorch_checkpoint, "SLACK_BYTES", 8 << 20)
    path = write_pth(tmp_path / "dicts.pth", pickled(b"(" + b"}" * 300_000 + b"l"))
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(CheckpointError, match="its pickle's objects would take more than") as caught:
            npnn.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(caught.value)
    assert peak < 16 << 20 and time.perf_counter() - started < 10, (peak, time.perf_counter() - started)


def test_a_long_list_of_numbers_is_still_read(tmp_path) -> None:
    """A pickle of 300,000 floats (2.7 MB) stays well inside the budget: 32 bytes each."""
    values = np.random.default_rng(0).standard_normal(300_000)
    body = b"](" + b"".join(b"G" + struct.pack(">d", value) for value in values) + b"e"
    assert npnn.load(write_pth(tmp_path / "floats.pth", pickled(body))) == values.tolist()
