"""Stand-ins for `torchvision.models` in the tutorials that load a pretrained model.

npnn has no model zoo (no VGG or ResNet, no pretrained weights to download), so `vgg16` builds the
"Build the Neural Network" tutorial's MLP, and `resnet18` a small network with ResNet-18's stem,
its 512 features and its `fc` classifier (1000 classes), so that the tutorials' lines around the
model (forward, backward, an SGD step, freezing, replacing `model.fc`) run unchanged.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from npnn import nn

# torchvision's weights enum: the value is accepted and ignored (nothing to download)
ResNet18_Weights = SimpleNamespace(DEFAULT="IMAGENET1K_V1", IMAGENET1K_V1="IMAGENET1K_V1")


def vgg16(weights: str | None = None) -> nn.Module:
    """The tutorial's 784-512-512-10 MLP; `weights` is accepted and ignored (nothing to download)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512),
                         nn.ReLU(), nn.Linear(512, 10))


def resnet_stand_in_class(nn: Any) -> type:
    """ResNet-18's stem (7x7 conv, batch norm, ReLU, 3x3 max pool), one 3x3 conv to its 512
    channels in place of its four residual stages, global average pooling, and `fc`, built
    from `nn` (npnn's, or torch's for the torch run: the same layers in the same init order)."""

    class ResNetStandIn(nn.Module):
        def __init__(self, num_classes: int = 1000) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            self.relu = nn.ReLU()
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer = nn.Conv2d(16, 512, kernel_size=3, stride=2, padding=1)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, num_classes)

        def forward(self, x: Any) -> Any:
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.avgpool(self.relu(self.layer(x)))
            return self.fc(x.flatten(1))

    return ResNetStandIn


ResNetStandIn = resnet_stand_in_class(nn)


def resnet18(weights: str | None = None) -> nn.Module:
    """The stand-in above, freshly initialized; `weights` is accepted and ignored."""
    return ResNetStandIn()
