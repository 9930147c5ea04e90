"""torchvision's names for the torch runs of the tutorials, fed with npnn's images.

torchvision is not installed, and the comparison wants both libraries to see identical inputs:
`datasets.FashionMNIST` reads through npnn's dataset (so the tests' subset applies to both) and
`ToTensor` converts with npnn's, then hands torch the same float32 array via `torch.from_numpy`.
`resnet18` is torch's build of `tutorial_models.resnet18`, layer for layer (the same init order).
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import torch
from tutorial_models import resnet_stand_in_class

from npnn.vision import datasets as npnn_datasets
from npnn.vision import transforms as npnn_transforms


class ToTensor:
    def __call__(self, pic: Any) -> torch.Tensor:
        return torch.from_numpy(npnn_transforms.ToTensor()(pic).numpy())


class Lambda:
    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)


class FashionMNIST(torch.utils.data.Dataset):
    def __init__(self, root: str, train: bool = True, transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None, download: bool = False) -> None:
        # looked up at call time, so a test's stand-in for npnn's FashionMNIST applies here too
        self.images = npnn_datasets.FashionMNIST(root, train=train, download=download)
        self.transform, self.target_transform = transform, target_transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = self.images[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target


ResNetStandIn = resnet_stand_in_class(torch.nn)  # tutorial_models.ResNetStandIn in torch


def resnet18(weights: str | None = None) -> torch.nn.Module:
    return ResNetStandIn()


datasets = SimpleNamespace(FashionMNIST=FashionMNIST)
transforms = SimpleNamespace(ToTensor=ToTensor, Lambda=Lambda)
ResNet18_Weights = SimpleNamespace(DEFAULT="IMAGENET1K_V1", IMAGENET1K_V1="IMAGENET1K_V1")
