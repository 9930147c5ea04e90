"""Float32 end to end: no silent float64 upcasts anywhere in a training step."""

import numpy as np

import npnn
from npnn import nn


def test_training_step_keeps_everything_float32():
    npnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Dropout(0.2), nn.BatchNorm1d(16),
                          nn.Linear(16, 4))
    optimizer = npnn.optim.Adam(model.parameters(), lr=1e-3)
    x = npnn.randn(8, 12)
    y = npnn.tensor(np.arange(8) % 4)
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y, label_smoothing=0.1)
    loss = loss + nn.regularization.l2_penalty(model, 1e-3) + nn.regularization.l1_penalty(model, 1e-4)
    assert logits.dtype == loss.dtype == np.float32
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    for name, param in model.named_parameters():
        assert param.dtype == np.float32, name
        assert param.grad.dtype == np.float32, name
    for name, value in model.state_dict().items():
        assert value.dtype in (np.float32, np.int64), name
    for state in optimizer.state.values():
        for key, value in state.items():
            if isinstance(value, np.ndarray) and value.ndim:
                assert value.dtype == np.float32, key
