"""torch.compile / autocast / GradScaler boilerplate runs on npnn with PyTorch's meaning, and
Module's dtype casts (half, bfloat16 refused, type) match torch's."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")


def test_compile_returns_the_model_and_decorates() -> None:
    model = nn.Linear(3, 2)
    assert npnn.compile(model) is model
    assert npnn.compile(model, mode="max-autotune", fullgraph=True, backend="inductor") is model

    @npnn.compile(dynamic=True)
    def double(x):
        return x * 2

    assert double(npnn.tensor([1.0])).item() == 2.0
    with pytest.raises(RuntimeError, match="callable"):
        npnn.compile(3)


def test_autocast_disabled_and_float32_run_as_torch() -> None:
    x = npnn.randn(2, 3)
    for lib in (npnn, torch):
        with lib.autocast("cpu", enabled=False):
            assert not lib.is_autocast_enabled()
    with pytest.warns(UserWarning, match="target dtype is not supported"), \
            npnn.autocast("cpu", dtype=npnn.float32):
        y = x @ x.T
    assert y.dtype == npnn.float32

    @npnn.autocast("cpu", enabled=False)
    def f(a):
        return a + 1

    assert np.array_equal(f(x).numpy(), x.numpy() + 1)
    assert npnn.amp.autocast is npnn.autocast


def test_autocast_to_16_bits_is_refused_by_name() -> None:
    for kwargs in ({}, {"dtype": npnn.float16}):
        with pytest.raises(RuntimeError, match=r"npnn has no autocast.*half"):
            npnn.autocast("cpu", **kwargs)


def test_autocast_bad_device_as_torch() -> None:
    with pytest.raises(RuntimeError, match="Invalid device string: 'xpu2'"):
        torch.autocast("xpu2")
    with pytest.raises(RuntimeError, match="Invalid device string: 'xpu2'"):
        npnn.autocast("xpu2")


@pytest.mark.skipif(npnn.cuda.is_available(), reason="a GPU is present: 'cuda' is not disabled")
def test_cuda_autocast_and_scaler_disable_without_gpu_as_torch() -> None:
    with pytest.warns(UserWarning, match="CUDA is not available"):
        scaler = npnn.amp.GradScaler()
    assert not scaler.is_enabled() and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    with pytest.warns(UserWarning, match="CUDA is not available"), npnn.autocast("cuda"):
        pass


def _train(lib, scaler_kwargs: dict, steps: int, poison: int | None = None):
    rng = np.random.default_rng(0)
    w0, b0 = rng.standard_normal((2, 4)).astype(np.float32), rng.standard_normal(2).astype(np.float32)
    x, t = rng.standard_normal((8, 4)).astype(np.float32), rng.integers(0, 2, 8)
    model = lib.nn.Linear(4, 2)
    with lib.no_grad():
        model.weight.copy_(lib.tensor(w0))
        model.bias.copy_(lib.tensor(b0))
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scaler = lib.amp.GradScaler("cpu", **scaler_kwargs)
    scales = []
    for step in range(steps):
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(t))
        if step == poison:
            loss = loss * float("inf")
        # the poisoned step's inf meets zeros in backward, where NumPy warns and PyTorch is
        # silent; npnn train's loop sets the same errstate
        with np.errstate(invalid="ignore", over="ignore"):
            scaler.scale(loss).backward()
        scaler.unscale_(opt)
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    return model.weight.detach().numpy(), scales, scaler.state_dict()


@pytest.mark.parametrize("kwargs, poison", [({}, None), ({"growth_interval": 2}, None),
                                            ({"init_scale": 8.0, "growth_interval": 3}, 2),
                                            ({"enabled": False}, None)])
def test_grad_scaler_training_matches_torch(kwargs: dict, poison: int | None) -> None:
    ours = _train(npnn, kwargs, 6, poison)
    theirs = _train(torch, kwargs, 6, poison)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-6)
    assert ours[1] == theirs[1]
    assert ours[2] == theirs[2]


def test_grad_scaler_misuse_as_torch() -> None:
    for lib in (npnn, torch):
        model = lib.nn.Linear(2, 1)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        scaler = lib.amp.GradScaler("cpu")
        scaler.scale(model(lib.ones(1, 2)).sum()).backward()
        scaler.unscale_(opt)
        with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
            scaler.unscale_(opt)
        scaler.step(opt)
        with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
            scaler.step(opt)
        scaler.update()
        with pytest.raises(RuntimeError, match="source state dict is empty"):
            scaler.load_state_dict({})


# ----- Module dtype casts -----
def _pair():
    return (nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)),
            torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2)))


def _dtypes(module) -> dict:
    return {k: str(v.dtype).replace("torch.", "") for k, v in module.state_dict().items()}


def test_half_and_type_cast_as_torch() -> None:
    ours, theirs = _pair()
    assert ours.half() is ours
    theirs.half()
    assert _dtypes(ours) == _dtypes(theirs)
    assert ours.type(npnn.float64) is ours
    theirs.type(torch.float64)
    assert _dtypes(ours) == _dtypes(theirs)  # type() casts the int64 counter too, as torch
    ours.float()
    theirs.float()
    assert _dtypes(ours) == _dtypes(theirs)
    out = ours.half()(npnn.randn(3, 2).half())
    assert out.dtype == npnn.float16


def test_bfloat16_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match=r"no bfloat16.*half"):
        nn.Linear(2, 2).bfloat16()
