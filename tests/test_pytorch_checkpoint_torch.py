"""Weights from and to PyTorch: npnn.load of what torch.save wrote (models give torch's outputs,
views, shared storages, dtypes, nested checkpoints), and npnn.save read by safetensors.torch."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn
from npnn.serialization import CheckpointError

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")


def mlp(lib):
    return lib.Sequential(lib.Linear(6, 8), lib.ReLU(), lib.Linear(8, 8), lib.Tanh(), lib.Linear(8, 3))


def cnn(lib):
    return lib.Sequential(
        lib.Conv2d(2, 4, 3, padding=1), lib.BatchNorm2d(4), lib.ReLU(), lib.MaxPool2d(2),
        lib.Flatten(), lib.Linear(4 * 3 * 3, 5))


def same(ours, theirs, where: str = "value") -> None:
    """`ours` (from npnn.load) holds what `theirs` (from torch.load) holds, tensors as arrays."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, np.ndarray), where
        expected = (theirs.float() if theirs.dtype == torch.bfloat16 else theirs).detach()
        assert ours.shape == tuple(theirs.shape) and ours.dtype == expected.numpy().dtype, where
        np.testing.assert_array_equal(ours, expected.numpy(), err_msg=where)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), where
        for key in theirs:
            same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), where
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            same(a, b, f"{where}[{index}]")
    else:
        assert type(ours) is type(theirs) and ours == theirs, where


@pytest.mark.parametrize("build, shape", [(mlp, (5, 6)), (cnn, (3, 2, 6, 6))], ids=["mlp", "cnn"])
def test_a_torch_state_dict_loads_into_the_same_npnn_model_and_gives_torch_outputs(tmp_path, build,
                                                                                    shape) -> None:
    torch.manual_seed(0)
    reference = build(torch.nn)
    with torch.no_grad():  # training-mode passes move BatchNorm's running statistics and counter
        for _ in range(2):
            reference(torch.randn(shape) * 2 + 1)
    reference.eval()
    torch.save(reference.state_dict(), tmp_path / "model.pth")
    state = npnn.load(tmp_path / "model.pth")
    same(state, torch.load(tmp_path / "model.pth", weights_only=True))
    model = build(nn).eval()
    model.load_state_dict(state)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    expected = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(npnn.tensor(x)).numpy(), expected, rtol=1e-6, atol=1e-6)
    if build is cnn:
        assert state["1.num_batches_tracked"].dtype == np.int64 and state["1.num_batches_tracked"] == 2


def test_views_and_shared_storages_load_as_torch_loads_them(tmp_path) -> None:
    x = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    views = {"x": x, "transposed": x.t(), "row": x[2], "tail": x[3, 2:], "column": x[:, 1],
             "strided": x[::2, ::3], "expanded": torch.ones(3).expand(4, 3), "scalar": x[1, 1]}
    torch.save(views, tmp_path / "views.pth")
    state = npnn.load(tmp_path / "views.pth")
    same(state, torch.load(tmp_path / "views.pth", weights_only=True))
    state["x"][0, 0] = -1  # copies: the views of one storage no longer share memory
    assert state["transposed"][0, 0] == 0


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16", "int64", "int32", "int16",
                                   "int8", "uint8", "bool", "complex64"])
def test_dtypes(tmp_path, dtype) -> None:
    values = (torch.randn(3, 4) * 50).to(getattr(torch, dtype))
    torch.save({"v": values, "empty": values[:0]}, tmp_path / "d.pth")
    same(npnn.load(tmp_path / "d.pth"), torch.load(tmp_path / "d.pth", weights_only=True))


@pytest.mark.parametrize("dtype", ["bfloat16", "bool", "float32", "int64"])
def test_0d_tensors_of_each_dtype(tmp_path, dtype) -> None:
    torch.save({"s": torch.tensor(1.5).to(getattr(torch, dtype))}, tmp_path / "s.pth")
    state = npnn.load(tmp_path / "s.pth")
    same(state, torch.load(tmp_path / "s.pth", weights_only=True))
    assert isinstance(state["s"], np.ndarray) and state["s"].shape == ()


@pytest.mark.parametrize("dtype", ["uint16", "uint32", "uint64"])
def test_unsigned_dtypes_torch_saves_as_untyped_storages(tmp_path, dtype) -> None:
    values = torch.tensor([[0, 1, 2], [3, 4, 2**16 - 1]]).to(getattr(torch, dtype))
    torch.save({"v": values, "t": values.t(), "s": values[1, 2], "empty": values[:0]}, tmp_path / "u.pth")
    state = npnn.load(tmp_path / "u.pth")
    same(state, torch.load(tmp_path / "u.pth", weights_only=True))
    assert state["v"].dtype == np.dtype(dtype)


@pytest.mark.filterwarnings("ignore:ComplexHalf support is experimental")
@pytest.mark.parametrize("dtype", ["float8_e4m3fn", "float8_e5m2", "complex32"])
def test_a_tensor_of_a_dtype_numpy_lacks_is_refused_by_its_dtype(tmp_path, dtype) -> None:
    torch.save({"x": torch.zeros(3).to(getattr(torch, dtype))}, tmp_path / "x.pth")
    torch.load(tmp_path / "x.pth", weights_only=True)  # torch takes it
    with pytest.raises(CheckpointError, match=rf"dtype torch\.{dtype}, which npnn does not support"):
        npnn.load(tmp_path / "x.pth")


def test_dtypes_devices_and_sets_as_torch_load_takes_them(tmp_path) -> None:
    """torch.load(weights_only=True) gives torch.float32 and torch.device("cpu"); npnn their names."""
    values = {"dtype": torch.float32, "dtypes": [torch.bfloat16, torch.int64], "cpu": torch.device("cpu"),
              "gpu": torch.device("cuda", 1), "ids": {1, 2, 3}, "pairs": {("a", 1)}}
    torch.save(values, tmp_path / "v.pth")
    expected = torch.load(tmp_path / "v.pth", weights_only=True)
    assert expected == values
    as_names = {"dtype": "float32", "dtypes": ["bfloat16", "int64"], "cpu": "cpu", "gpu": "cuda:1"}
    assert npnn.load(tmp_path / "v.pth") == {**values, **as_names}
    assert [str(expected[key]).removeprefix("torch.") for key in ("dtype", "cpu", "gpu")] == [
        as_names[key] for key in ("dtype", "cpu", "gpu")]


def test_a_checkpoint_with_model_optimizer_and_plain_values(tmp_path) -> None:
    model = mlp(torch.nn)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(2, 6)).sum().backward()
    optimizer.step()
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3,
                  "losses": [0.5, 0.25], "name": "run", "best": None, "shape": torch.Size([2, 3]),
                  "tag": b"\x00\xff", "flags": (True, False), "huge": 2**70}
    torch.save(checkpoint, tmp_path / "ckpt.pth")
    state = npnn.load(tmp_path / "ckpt.pth", map_location="cpu")
    expected = torch.load(tmp_path / "ckpt.pth", weights_only=True)
    expected["shape"] = tuple(expected["shape"])  # torch.Size is a tuple
    same(state, expected)
    assert state["optimizer"]["param_groups"][0]["params"] == list(range(6))


def test_a_parameter_saved_alone_or_in_a_dict(tmp_path) -> None:
    weight = torch.nn.Parameter(torch.randn(2, 3))
    torch.save(weight, tmp_path / "w.pth")
    frozen = torch.nn.Parameter(torch.ones(2), requires_grad=False)
    torch.save({"w": weight, "frozen": frozen}, tmp_path / "d.pth")
    np.testing.assert_array_equal(npnn.load(tmp_path / "w.pth"), weight.detach().numpy())
    same(npnn.load(tmp_path / "d.pth"), torch.load(tmp_path / "d.pth", weights_only=True))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_any_pickle_protocol_torch_save_writes(tmp_path, protocol) -> None:
    """Protocols 4 and 5 (FRAME, MEMOIZE, STACK_GLOBAL) too, which torch's own weights_only reader
    refuses; the reference here is the full torch.load of a file this test wrote."""
    torch.save(mlp(torch.nn).state_dict(), tmp_path / "p.pth", pickle_protocol=protocol)
    same(npnn.load(tmp_path / "p.pth"), torch.load(tmp_path / "p.pth", weights_only=False))


class Custom(torch.nn.Module):
    pass


def test_a_whole_pickled_module_is_refused_as_torch_load_weights_only_refuses_it(tmp_path) -> None:
    torch.save(mlp(torch.nn), tmp_path / "whole.pth")
    with pytest.raises(CheckpointError, match=r"refused to load: its pickle calls torch\.nn\.modules"):
        npnn.load(tmp_path / "whole.pth")
    with pytest.raises(Exception, match="weights_only"):
        torch.load(tmp_path / "whole.pth", weights_only=True)


def test_a_legacy_torch_file_is_refused_with_how_to_resave(tmp_path) -> None:
    torch.save({"w": torch.ones(2)}, tmp_path / "old.pth", _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match=r"PyTorch's format before 1\.6.*re-save it"):
        npnn.load(tmp_path / "old.pth")


def test_npnn_weights_load_into_torch_through_safetensors(tmp_path) -> None:
    """The reverse path of the README: npnn.save, then safetensors.torch.load_file in PyTorch."""
    load_file = pytest.importorskip("safetensors.torch", reason="safetensors not installed").load_file
    model = cnn(nn)
    x = np.random.default_rng(1).standard_normal((3, 2, 6, 6)).astype(np.float32)
    model(npnn.tensor(x))  # a training pass: running statistics away from their initial values
    model.eval()
    npnn.save(model.state_dict(), tmp_path / "model.safetensors")
    reference = cnn(torch.nn).eval()
    reference.load_state_dict(load_file(tmp_path / "model.safetensors"))
    assert int(reference[1].num_batches_tracked) == 1
    np.testing.assert_allclose(reference(torch.from_numpy(x)).detach().numpy(), model(npnn.tensor(x)).numpy(),
                               rtol=1e-6, atol=1e-6)


def test_a_bare_storage_is_refused(tmp_path) -> None:
    torch.save(torch.ones(2).untyped_storage(), tmp_path / "s.pth")
    with pytest.raises(CheckpointError, match="holds a storage itself, not a tensor"):
        npnn.load(tmp_path / "s.pth")
