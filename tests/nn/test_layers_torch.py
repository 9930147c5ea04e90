"""Layers against PyTorch CPU: forward values and gradients from identical weights."""

from __future__ import annotations

import numpy as np
import pytest

from npnn import nn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")


def torch_dtype(dtype: np.dtype) -> torch.dtype:
    return {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}[dtype]


@pytest.mark.parametrize("shape", [(5,), (3, 5), (2, 3, 5)], ids=["1d", "2d", "3d"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
def test_linear(shape, bias, dtype, rng, compare_with_torch) -> None:
    reference = torch.nn.Linear(5, 4, bias=bias, dtype=torch_dtype(dtype))
    layer = nn.Linear(5, 4, bias=bias, dtype=dtype)
    compare_with_torch(layer, reference, [rng.standard_normal(shape).astype(dtype)], dtype)


@pytest.mark.parametrize("module, reference", [
    (nn.Flatten(), torch.nn.Flatten()),
    (nn.Flatten(0, 1), torch.nn.Flatten(0, 1)),
    (nn.Identity(), torch.nn.Identity()),
    (nn.Dropout(0.5).eval(), torch.nn.Dropout(0.5).eval()),
], ids=["Flatten", "Flatten(0,1)", "Identity", "Dropout-eval"])
def test_parameter_free_layers(module, reference, dtype, rng, compare_with_torch) -> None:
    compare_with_torch(module, reference, [rng.standard_normal((2, 3, 4)).astype(dtype)], dtype)


BATCHNORM_CONFIGS = {
    "default": {},
    "momentum=None": {"momentum": None},
    "affine=False": {"affine": False},
    "no-running-stats": {"track_running_stats": False},
    "eps,momentum": {"eps": 1e-3, "momentum": 0.3},
    "bias=False": {"bias": False},
}


@pytest.mark.parametrize("kwargs", BATCHNORM_CONFIGS.values(), ids=BATCHNORM_CONFIGS.keys())
@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)),
                                         ("BatchNorm2d", (4, 3, 5, 6))], ids=["1d-NC", "1d-NCL", "2d-NCHW"])
def test_batchnorm_train_steps_then_eval(kwargs, name, shape, dtype, rng, close, compare_with_torch) -> None:
    reference = getattr(torch.nn, name)(3, dtype=torch_dtype(dtype), **kwargs)
    if reference.affine:  # non-trivial affine parameters
        with torch.no_grad():
            reference.weight.uniform_(0.5, 1.5)
            if reference.bias is not None:
                reference.bias.normal_()
    layer = getattr(nn, name)(3, dtype=dtype, **kwargs)
    layer.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    for step in range(4):
        layer.zero_grad()
        reference.zero_grad()
        x = rng.normal(step, 1.0 + step, size=shape).astype(dtype)
        compare_with_torch(layer, reference, [x], dtype, copy_weights=False)
        for name, buffer in reference.named_buffers():
            close(getattr(layer, name).data, buffer.numpy(), dtype, f"{name} after step {step}")
    assert list(layer.state_dict()) == list(reference.state_dict())

    layer.eval()
    reference.eval()
    layer.zero_grad()
    reference.zero_grad()
    compare_with_torch(layer, reference, [rng.standard_normal(shape).astype(dtype)], dtype,
                       copy_weights=False)
    assert repr(layer) == repr(reference)


@pytest.mark.parametrize("config", [
    {"normalized_shape": 4},
    {"normalized_shape": (3, 4), "eps": 1e-3},
    {"normalized_shape": 4, "bias": False},
    {"normalized_shape": 4, "elementwise_affine": False},
], ids=["last", "two_dims_eps", "no_bias", "no_affine"])
def test_layer_norm(config, dtype, rng, compare_with_torch) -> None:
    reference = torch.nn.LayerNorm(**config, dtype=torch_dtype(dtype))
    with torch.no_grad():  # non-trivial affine parameters
        for param in reference.parameters():
            param.add_(torch.from_numpy(rng.standard_normal(tuple(param.shape)).astype(dtype)))
    layer = nn.LayerNorm(**config, dtype=dtype)
    compare_with_torch(layer, reference, [rng.standard_normal((2, 3, 4)).astype(dtype)], dtype)
    assert repr(layer) == repr(reference)
