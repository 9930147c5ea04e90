"""A stand-in for `torchvision.models` in the "Save and Load the Model" tutorial.

npnn has no model zoo (no VGG, no pretrained weights to download), so `vgg16` builds the
"Build the Neural Network" tutorial's MLP; the tutorial's saving and loading lines run unchanged.
"""

from __future__ import annotations

from npnn import nn


def vgg16(weights: str | None = None) -> nn.Module:
    """The tutorial's 784-512-512-10 MLP; `weights` is accepted and ignored (nothing to download)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512),
                         nn.ReLU(), nn.Linear(512, 10))
