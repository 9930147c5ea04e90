"""A small convolutional autoencoder on real Fashion-MNIST images: a Conv2d stride-2 encoder, a
ConvTranspose2d decoder, Sigmoid, MSELoss and Adam. Its reconstruction loss falls, and PyTorch,
from the same initial weights, gives the same losses step by step."""

from __future__ import annotations

import numpy as np
import pytest

import npnn
from npnn.data import load_fashion_mnist

STEPS, BATCH = 8, 64


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    """The first STEPS batches of the train split: (N, 1, 28, 28) pixels in [0, 1]."""
    train = load_fashion_mnist("train", subset=STEPS * BATCH)
    return train.images.reshape(-1, 1, 28, 28).astype(np.float32)


def autoencoder(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),    # 28 -> 14
        nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(),   # 14 -> 7
        nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),  # 7 -> 14
        nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),  # 14 -> 28
    )


def train(lib, model, images: np.ndarray) -> list[float]:
    """STEPS Adam steps of MSE reconstruction, one batch each; the loss of each step."""
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn, losses = lib.nn.MSELoss(), []
    for step in range(STEPS):
        batch = lib.tensor(images[step * BATCH:(step + 1) * BATCH])
        loss = loss_fn(model(batch), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.item()))
    return losses


def test_the_reconstruction_loss_falls(images: np.ndarray) -> None:
    npnn.manual_seed(0)
    model = autoencoder(npnn)
    reconstruction = model(npnn.tensor(images[:2]))
    assert reconstruction.shape == (2, 1, 28, 28)
    losses = train(npnn, model, images)
    assert all(np.isfinite(losses))
    assert losses[-1] < 0.75 * losses[0], losses


def test_pytorch_gives_the_same_losses_from_the_same_weights(images: np.ndarray) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch CPU not installed: pip install torch==2.13.0")
    torch.manual_seed(0)
    reference, model = autoencoder(torch), autoencoder(npnn)
    model.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    expected, losses = train(torch, reference, images), train(npnn, model, images)
    np.testing.assert_allclose(losses, expected, rtol=1e-4)
    assert losses[-1] < losses[0]
