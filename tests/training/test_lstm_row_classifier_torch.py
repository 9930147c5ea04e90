"""An LSTM that reads each Fashion-MNIST image as 28 rows of 28 pixels, trained a few Adam steps
on real images in npnn and in PyTorch from the same initial weights: the same losses, falling."""

from __future__ import annotations

import numpy as np
import pytest

import npnn

torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")


def row_classifier(lib):
    """LSTM(28, 32) over the rows, then a Linear on the last hidden state (torch.nn or npnn.nn)."""
    class RowLSTM(lib.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = lib.nn.LSTM(28, 32, batch_first=True)
            self.head = lib.nn.Linear(32, 10)

        def forward(self, images):
            _, (h_n, _) = self.lstm(images.reshape(-1, 28, 28))
            return self.head(h_n[-1])

    return RowLSTM()


def train(lib, model, images, labels, steps: int) -> list[float]:
    optimizer = lib.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(steps):
        loss = lib.nn.functional.cross_entropy(model(lib.tensor(images)), lib.tensor(labels))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.item()))
    return losses


def test_lstm_row_classifier_trains_as_pytorch_on_fashion_mnist(small_data) -> None:
    train_set, _ = small_data
    images, labels = train_set.images[:64].astype(np.float32), train_set.labels[:64]
    torch.manual_seed(0)
    reference, model = row_classifier(torch), row_classifier(npnn)
    model.load_state_dict({k: v.detach().numpy().copy() for k, v in reference.state_dict().items()})
    expected = train(torch, reference, images, labels, steps=6)
    losses = train(npnn, model, images, labels, steps=6)
    np.testing.assert_allclose(losses, expected, rtol=1e-4)
    assert losses[-1] < losses[0] - 0.1, f"the loss did not fall: {losses}"
    for name, value in reference.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[name].numpy(), value.numpy(), rtol=1e-3, atol=1e-5,
                                   err_msg=name)
