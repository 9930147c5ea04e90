"""What a beginner meets first in PyTorch's tutorials: devices, `device=` on factories, the
accelerator queries, `size()`, formatting a loss, `scatter_`, `detach_`, `out=` and save/load.
Compared with torch where it is installed."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys

import numpy as np
import pytest

import npnn
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")

GPU = npnn.cuda.is_available()


# ----- npnn.device -----
@pytest.mark.parametrize("args", [("cpu",), ("cuda",), ("cuda:1",), ("cuda", 2)])
def test_device_has_torch_type_index_str_and_repr(args):
    ours, theirs = npnn.device(*args), torch.device(*args)
    assert (ours.type, ours.index, str(ours), repr(ours)) == (
        theirs.type, theirs.index, str(theirs), repr(theirs))


def test_device_from_an_int_is_that_gpu():
    assert npnn.device(0) == "cuda:0" and npnn.device(0).index == 0  # torch CPU refuses device(0)


def test_device_equals_its_name_and_the_tensor_device():
    x = npnn.ones(3, 4)
    assert x.device == "cpu" and x.device == npnn.device("cpu") and x.device.type == "cpu"
    assert torch.ones(3).device == torch.device("cpu")  # what the npnn line mirrors
    assert npnn.device("cpu") != npnn.device("cuda") and npnn.device(npnn.device("cpu")) == "cpu"


@pytest.mark.parametrize("name", ["foo", "cuda:x", "cpu:"])
def test_unknown_device_is_a_runtime_error_as_torch(name):
    with pytest.raises(RuntimeError):
        torch.device(name)
    with pytest.raises(RuntimeError, match="npnn runs on 'cpu'"):
        npnn.device(name)


def test_to_accepts_device_objects_and_names():
    x = npnn.rand(2, 3)
    assert x.to(npnn.device("cpu")) is x and x.to("cpu") is x
    assert nn.Linear(2, 2).to(npnn.device("cpu")).weight.device == "cpu"


def test_mps_is_refused_with_the_fix():
    with pytest.raises(RuntimeError, match=r"no 'mps' device.*use 'cpu'"):
        npnn.ones(2).to("mps")
    with pytest.raises(RuntimeError, match="no 'mps' device"):
        npnn.zeros(2, device="mps")


# ----- device= on every factory -----
FACTORIES = {
    "tensor": lambda lib, d: lib.tensor([1.0, 2.0], device=d),
    "as_tensor": lambda lib, d: lib.as_tensor([1.0, 2.0], device=d),
    "zeros": lambda lib, d: lib.zeros(2, 3, device=d),
    "ones": lambda lib, d: lib.ones((2, 3), device=d),
    "full": lambda lib, d: lib.full((2,), 7.0, device=d),
    "empty": lambda lib, d: lib.empty(2, device=d).zero_(),
    "eye": lambda lib, d: lib.eye(3, 4, device=d),
    "arange": lambda lib, d: lib.arange(5, device=d),
    "linspace": lambda lib, d: lib.linspace(0, 1, 5, device=d),
    "zeros_like": lambda lib, d: lib.zeros_like(lib.ones(2), device=d),
    "ones_like": lambda lib, d: lib.ones_like(lib.zeros(2), device=d),
    "full_like": lambda lib, d: lib.full_like(lib.zeros(2), 3.0, device=d),
    "empty_like": lambda lib, d: lib.empty_like(lib.zeros(2), device=d).zero_(),
}
RANDOM = {
    "rand": lambda lib, d: lib.rand(2, 3, device=d),
    "randn": lambda lib, d: lib.randn(2, 3, device=d),
    "randint": lambda lib, d: lib.randint(0, 3, (4,), device=d),
    "randperm": lambda lib, d: lib.randperm(4, device=d),
    "rand_like": lambda lib, d: lib.rand_like(lib.zeros(2), device=d),
    "randn_like": lambda lib, d: lib.randn_like(lib.zeros(2), device=d),
}


@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize("device", ["cpu", "device"])
def test_factory_takes_device_and_matches_torch(name, device):
    ours = FACTORIES[name](npnn, npnn.device("cpu") if device == "device" else "cpu")
    theirs = FACTORIES[name](torch, torch.device("cpu") if device == "device" else "cpu")
    assert ours.device == "cpu" and str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", RANDOM)
def test_random_factory_takes_device(name):
    ours, theirs = RANDOM[name](npnn, "cpu"), RANDOM[name](torch, "cpu")
    assert ours.device == "cpu" and ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


@pytest.mark.skipif(GPU, reason="CuPy sees a GPU here: the cuda move is tested in test_cupy_backend.py")
def test_cuda_without_cupy_names_the_fix():
    with pytest.raises(RuntimeError, match=r"needs CuPy.*use 'cpu'"):
        npnn.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="needs CuPy"):
        npnn.ones(2).to("cuda")


@pytest.mark.skipif(not GPU, reason="no GPU visible to CuPy: nothing to move to")
def test_cuda_factory_makes_cupy_arrays():
    x = npnn.rand(2, 3, device="cuda", requires_grad=True)
    assert x.device == "cuda" and x.is_leaf and x.requires_grad
    assert type(x.array).__module__.startswith("cupy")


def test_eye_takes_requires_grad_dtype_device_as_torch():
    ours = npnn.eye(4, 5, requires_grad=True)
    theirs = torch.eye(4, 5, requires_grad=True)
    assert ours.requires_grad and ours.is_leaf and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())
    assert npnn.eye(2, dtype=npnn.float64).dtype == np.float64


# ----- accelerator queries (CuPy only when asked) -----
def test_accelerator_queries_agree_with_each_other():
    assert npnn.cuda.is_available() == (npnn.cuda.device_count() > 0) == npnn.accelerator.is_available()
    current = npnn.accelerator.current_accelerator()
    assert current == ("cuda" if GPU else None)
    assert npnn.backends.mps.is_available() is False and npnn.backends.mps.is_built() is False
    if not GPU:  # torch CPU is installed: both say "no accelerator"
        assert current == torch.accelerator.current_accelerator()
        assert npnn.accelerator.is_available() == torch.accelerator.is_available()


def test_quickstart_device_line_runs():
    device = (npnn.accelerator.current_accelerator().type if npnn.accelerator.is_available()
              else "cpu")
    assert npnn.rand(2, device=device).device == device


def test_import_npnn_reaches_utils_data_without_cupy():
    code = ("import sys, npnn; print(npnn.utils.data.DataLoader.__module__, "
            "any(m.split('.')[0] == 'cupy' for m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["npnn.utils.data.dataloader", "False"]


# ----- size(), formatting -----
def test_size_is_a_tuple_printed_as_torch_size():
    ours, theirs = npnn.rand(64, 1, 28, 28).size(), torch.rand(64, 1, 28, 28).size()
    assert isinstance(ours, tuple) and ours == theirs == (64, 1, 28, 28)
    assert repr(ours) == repr(theirs).replace("torch", "npnn") and str(ours) == repr(ours)
    assert isinstance(ours[1:], npnn.Size) and ours[1:] == theirs[1:] and ours[0] == 64
    assert ours.numel() == theirs.numel() and npnn.rand(2, 3).size(1) == 3
    longer, torch_longer = ours.__add__((2,)), theirs.__add__((2,))  # `ours + (2,)`
    assert type(longer) is npnn.Size and tuple(longer) == tuple(torch_longer)
    assert pickle.loads(pickle.dumps(ours)) == ours and npnn.zeros(ours[1:]).shape == (1, 28, 28)


@pytest.mark.parametrize(("value", "spec"), [(1, ""), (2.5, ""), (0.123456789, ">7f"),
                                              (3.0, ".4f"), (7, ">5d"), (True, "")])
def test_0d_tensor_formats_as_its_number(value, spec):
    assert format(npnn.tensor(value), spec) == format(torch.tensor(value), spec)


@pytest.mark.parametrize("values", [[True, True], [True, False], [[True], [True]], [False, False],
                                    [True] * 30])
def test_bool_tensor_prints_as_torch(values):
    """`print(9*a**2 == a.grad)` in the autograd tutorial: `tensor([True, True])`, not NumPy's
    `[ True,  True]`; True is padded only next to a False."""
    assert str(npnn.tensor(values)) == str(torch.tensor(values))


def test_formatting_a_non_0d_tensor_with_a_spec_is_a_type_error():
    assert f"{npnn.tensor([1.0, 2.0])}" == str(npnn.tensor([1.0, 2.0]))
    with pytest.raises(TypeError):
        format(torch.tensor([1.0, 2.0]), ".2f")
    with pytest.raises(TypeError, match="only a 0-d tensor"):
        format(npnn.tensor([1.0, 2.0]), ".2f")


# ----- detach_, scatter_, out= -----
def test_detach_in_place_as_torch():
    for lib in (npnn, torch):
        leaf = lib.randn(3, requires_grad=True)
        made = leaf * 2
        assert made.detach_() is made and not made.requires_grad and made.grad_fn is None
        assert leaf.detach_() is leaf and not leaf.requires_grad


def test_scatter_one_hot_of_the_transforms_tutorial():
    label = 3
    ours = npnn.zeros(10, dtype=npnn.float).scatter_(0, npnn.tensor(label), value=1)
    theirs = torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(label), value=1)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_scatter_in_place_writes_the_tensor_and_is_refused_on_grad():
    x = npnn.zeros(3, 4)
    index = npnn.tensor([[0], [2], [1]])
    assert x.scatter_(1, index, npnn.ones(3, 1) * 5) is x
    np.testing.assert_array_equal(x.numpy(), torch.zeros(3, 4).scatter_(
        1, torch.tensor([[0], [2], [1]]), torch.ones(3, 1) * 5).numpy())
    with pytest.raises(RuntimeError, match="in-place"):
        npnn.zeros(3, 4, requires_grad=True).scatter_(1, index, value=1.0)


@pytest.mark.parametrize(("call", "error"), [
    (lambda lib: lib.zeros(3, 4).scatter(1, lib.tensor([0, 2]), 1.0), RuntimeError),
    (lambda lib: lib.zeros(3, 4).scatter(1, lib.tensor([[0.5]]), 1.0), RuntimeError),
    (lambda lib: lib.zeros(3, 4).scatter(1, lib.tensor([[0, 1, 2]]), lib.ones(1, 2)), RuntimeError),
])
def test_scatter_errors_match_torch(call, error):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error):
        call(npnn)


def test_scatter_needs_src_or_value():
    with pytest.raises(TypeError, match=r"src.*or value"):
        npnn.scatter(npnn.zeros(3), 0, npnn.tensor([1]))


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "matmul"])
def test_out_keyword_as_torch(op):
    a, b = np.arange(1.0, 5.0, dtype=np.float32).reshape(2, 2), np.full((2, 2), 2.0, np.float32)
    ours, theirs = npnn.zeros(2, 2), torch.zeros(2, 2)
    assert getattr(npnn, op)(npnn.tensor(a), npnn.tensor(b), out=ours) is ours
    getattr(torch, op)(torch.tensor(a), torch.tensor(b), out=theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_out_keyword_refuses_autograd_and_resizing():
    for lib in (npnn, torch):
        with pytest.raises(RuntimeError, match="out="):
            lib.mul(lib.ones(2, requires_grad=True), lib.ones(2), out=lib.zeros(2))
    with pytest.raises(RuntimeError, match="does not resize out"):
        npnn.mul(npnn.ones(2), npnn.ones(2), out=npnn.zeros(3))


# ----- save/load with torch's keywords -----
def test_state_dict_round_trip_with_torch_keywords(tmp_path):
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    npnn.save(model.state_dict(), tmp_path / "model_weights.pth")
    fresh = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    fresh.load_state_dict(npnn.load(tmp_path / "model_weights.pth", weights_only=True))
    np.testing.assert_array_equal(fresh[1].weight.numpy(), model[1].weight.numpy())
    mapped = npnn.load(tmp_path / "model_weights.pth", map_location=npnn.device("cpu"))
    assert sorted(mapped) == sorted(model.state_dict())
    assert list(npnn.load(tmp_path / "model_weights.pth", weights_only=False)) == list(mapped)


def test_saving_a_whole_model_is_refused_with_the_fix(tmp_path):
    with pytest.raises(TypeError, match=r"never pickles.*model\.state_dict\(\)"):
        npnn.save(nn.Linear(2, 2), tmp_path / "model.pth")
    assert not (tmp_path / "model.pth").exists()


def test_load_refuses_pytorch_only_map_locations(tmp_path):
    npnn.save({"w": npnn.ones(2)}, tmp_path / "w.pth")
    with pytest.raises(TypeError, match="PyTorch-only"):
        npnn.load(tmp_path / "w.pth", map_location=lambda storage, loc: storage)
    with pytest.raises(TypeError, match="no pickle options"):
        npnn.load(tmp_path / "w.pth", encoding="latin1")


# ----- smaller API from the tutorials' neighbourhood -----
def test_sort_and_topk_indices_match_torch():
    data = np.array([[3.0, 1.0, 2.0, 1.0], [0.5, 4.0, 4.0, -1.0]], dtype=np.float32)
    for descending in (False, True):
        ours = npnn.sort(npnn.tensor(data), dim=1, descending=descending)
        theirs = torch.sort(torch.tensor(data), dim=1, descending=descending, stable=True)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    ours, theirs = npnn.tensor(data).topk(2), torch.tensor(data).topk(2)
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    assert ours.indices.dtype == np.int64 and ours.indices.shape == tuple(theirs.indices.shape)
    with pytest.raises(RuntimeError, match="out of range"):
        npnn.tensor(data).topk(5)


def test_whole_tensor_comparisons_as_torch():
    a, b = np.array([1.0, 2.0], np.float32), np.array([1.0, 2.0 + 1e-6], np.float32)
    for lib in (npnn, torch):
        x, y = lib.tensor(a), lib.tensor(b)
        assert lib.allclose(x, y) is True and lib.equal(x, x) is True and lib.equal(x, y) is False
        assert lib.equal(x, lib.tensor([1.0, 2.0, 3.0])) is False
        assert bool(lib.all(x > 0)) and not bool(lib.any(x > 5))
    np.testing.assert_array_equal(npnn.any(npnn.tensor(a) > 1.5, dim=0, keepdim=True).numpy(), [True])


def test_new_tensor_methods_half_is_cuda_unbind_repeat_as_torch():
    data = np.arange(6, dtype=np.float64).reshape(2, 3)
    ours, theirs = npnn.tensor(data), torch.tensor(data)
    for name, call in {"new_ones": lambda t: t.new_ones(2, 3), "new_full": lambda t: t.new_full((2,), 7),
                       "new_empty": lambda t: t.new_empty(2).zero_(),
                       "new_tensor": lambda t: t.new_tensor([1, 2]), "half": lambda t: t.half(),
                       "repeat": lambda t: t.repeat(2, 1, 2)}.items():
        got, want = call(ours), call(theirs)
        assert str(got.dtype) == str(want.dtype).removeprefix("torch."), name
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert ours.is_cuda is theirs.is_cuda is False
    for got, want in zip(ours.unbind(1), theirs.unbind(1), strict=True):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_grad_fn_prints_as_a_backward_node():
    z = npnn.ones(5) @ npnn.randn(5, 3, requires_grad=True) + npnn.randn(3, requires_grad=True)
    assert re.fullmatch(r"<AddBackward object at 0x[0-9a-f]+>", repr(z.grad_fn))
    assert re.fullmatch(r"<AddBackward0 object at 0x[0-9a-f]+>",
                        repr((torch.ones(5) + torch.ones(5, requires_grad=True)).grad_fn))


def test_linalg_norms_as_torch():
    data = np.array([[3.0, -4.0], [1.0, 2.0]], dtype=np.float32)
    calls = [lambda lib, x: lib.linalg.norm(x), lambda lib, x: lib.linalg.norm(x, dim=1),
             lambda lib, x: lib.linalg.norm(x, "fro"), lambda lib, x: lib.linalg.norm(x[0], 1),
             lambda lib, x: lib.linalg.vector_norm(x, 1),
             lambda lib, x: lib.linalg.vector_norm(x, float("inf")),
             lambda lib, x: lib.linalg.norm(x, "nuc"), lambda lib, x: lib.linalg.norm(x, 2)]
    for call in calls:
        np.testing.assert_allclose(call(npnn, npnn.tensor(data)).numpy(),
                                   call(torch, torch.tensor(data)).numpy(), rtol=1e-6)


_RNG = np.random.default_rng(0)


@pytest.mark.parametrize("array", [
    np.array([0.885, 0.1, 2.0], np.float32), np.array([1.0, 2.0, 3.0], np.float32),
    np.array(0.5, np.float32), _RNG.standard_normal((3, 4)).astype(np.float32),
    np.array([1e-5, 1.0], np.float32), np.array([1e5, 1.0, 0.5], np.float32),
    _RNG.standard_normal(30).astype(np.float32), np.array([np.nan, 1.5, np.inf], np.float32),
    np.array([1, 2, 3]), np.array(6), np.array([[True, False]]),
    _RNG.standard_normal((2, 3, 4)).astype(np.float32), np.zeros((0, 3), np.float32),
], ids=lambda a: f"{a.dtype}{list(a.shape)}")
def test_a_tensor_prints_as_pytorch_prints_it(array: np.ndarray) -> None:
    assert repr(npnn.tensor(array)) == repr(torch.from_numpy(array.copy()))
