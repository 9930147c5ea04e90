"""The CuPy backend gives the same numbers as NumPy (runs only where a GPU and CuPy exist)."""

import numpy as np
import pytest

import npnn
from npnn import backend, nn

if not backend.cupy_available():
    pytest.skip("CuPy with a GPU is not available: these tests run on a GPU machine",
                allow_module_level=True)


def _mlp() -> nn.Sequential:
    npnn.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16, dtype=np.float64), nn.GELU(), nn.Dropout(0.0),
                         nn.BatchNorm1d(16, dtype=np.float64), nn.Linear(16, 3, dtype=np.float64))


@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "AdamW"])
def test_training_on_gpu_matches_cpu(optimizer):
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((8, 6)), rng.integers(0, 3, 8)) for _ in range(5)]
    results = []
    for device in ("cpu", "cuda"):
        model = _mlp().to(device)
        kwargs = {"lr": 0.05, "momentum": 0.9, "nesterov": True} if optimizer == "SGD" else {"lr": 0.01}
        opt = getattr(npnn.optim, optimizer)(model.parameters(), **kwargs)
        for x, y in batches:
            logits = model(npnn.tensor(x).to(device))
            loss = nn.functional.cross_entropy(logits, npnn.tensor(y).to(device), label_smoothing=0.1)
            loss = loss + nn.regularization.l2_penalty(model, 1e-3)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        assert all(p.device == device for p in model.parameters())
        results.append({k: v.numpy() for k, v in model.state_dict().items()})
    for name in results[0]:
        np.testing.assert_allclose(results[1][name], results[0][name], rtol=1e-9, atol=1e-12,
                                   err_msg=name)


def test_shape_ops_and_indexing_on_gpu():
    x = npnn.randn(4, 5, dtype=np.float64, requires_grad=True)
    for device in ("cpu", "cuda"):
        x.grad = None
        xd = x.to(device)
        y = npnn.cat([xd[[0, 0, 2]], xd[1:3].T.reshape(2, 5)], dim=0)
        out = (y.softmax(dim=1) * npnn.stack([xd[0]] * 5).sum(0)).max()
        out.backward()
        if device == "cpu":
            expected = x.grad.numpy().copy()
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-10)
