"""Two interleaved spirals, separated by a small MLP: npnn's "hello world".

Run: python examples/two_spirals.py
"""

from __future__ import annotations

import numpy as np

import npnn
from npnn import nn


def make_spirals(points_per_class: int = 100, seed: int = 0) -> tuple[npnn.Tensor, npnn.Tensor]:
    """Two spirals of `points_per_class` points each, with a little noise."""
    rng = np.random.default_rng(seed)
    angle = np.sqrt(rng.random(points_per_class)) * 3 * np.pi
    arm = np.stack([angle * np.cos(angle), angle * np.sin(angle)], axis=1) / (3 * np.pi)
    points = np.concatenate([arm, -arm]) + rng.normal(0, 0.01, (2 * points_per_class, 2))
    labels = np.repeat([0, 1], points_per_class)
    return npnn.tensor(points.astype(np.float32)), npnn.tensor(labels)


def train(steps: int = 1500, seed: int = 0) -> float:
    """Train a 2-64-64-2 MLP with Adam on the full set; return the training accuracy."""
    npnn.manual_seed(seed)
    points, labels = make_spirals(seed=seed)
    model = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2))
    optimizer = npnn.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(points), labels)
        loss.backward()
        optimizer.step()
    with npnn.no_grad():
        predictions = model(points).argmax(dim=1)
    return float((predictions == labels).numpy().mean())


if __name__ == "__main__":
    print(f"two spirals: training accuracy {train():.1%}")
