"""PyTorch's beginner tutorials run on npnn with only their imports changed.

Each tutorial's code is kept as PyTorch publishes it (torch imports included); `port` swaps
the imports for npnn's and nothing else, and the result runs in a fresh namespace.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

import npnn

# "Datasets & DataLoaders" (pytorch.org/tutorials/beginner/basics/data_tutorial.html), figures drawn
# on matplotlib's Agg backend. Its custom-dataset section only defines CustomImageDataset (with
# pandas and torchvision.io.read_image, neither of which npnn has or needs for the definition), so
# those two imports are dropped by `port`.
DATA_TUTORIAL = '''
import torch
from torch.utils.data import Dataset
from torchvision import datasets
from torchvision.transforms import ToTensor
import matplotlib.pyplot as plt


training_data = datasets.FashionMNIST(
    root="data",
    train=True,
    download=True,
    transform=ToTensor()
)

test_data = datasets.FashionMNIST(
    root="data",
    train=False,
    download=True,
    transform=ToTensor()
)

labels_map = {
    0: "T-Shirt",
    1: "Trouser",
    2: "Pullover",
    3: "Dress",
    4: "Coat",
    5: "Sandal",
    6: "Shirt",
    7: "Sneaker",
    8: "Bag",
    9: "Ankle Boot",
}
figure = plt.figure(figsize=(8, 8))
cols, rows = 3, 3
for i in range(1, cols * rows + 1):
    sample_idx = torch.randint(len(training_data), size=(1,)).item()
    img, label = training_data[sample_idx]
    figure.add_subplot(rows, cols, i)
    plt.title(labels_map[label])
    plt.axis("off")
    plt.imshow(img.squeeze(), cmap="gray")
plt.show()

import os
import pandas as pd
from torchvision.io import read_image

class CustomImageDataset(Dataset):
    def __init__(self, annotations_file, img_dir, transform=None, target_transform=None):
        self.img_labels = pd.read_csv(annotations_file)
        self.img_dir = img_dir
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.img_labels)

    def __getitem__(self, idx):
        img_path = os.path.join(self.img_dir, self.img_labels.iloc[idx, 0])
        image = read_image(img_path)
        label = self.img_labels.iloc[idx, 1]
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label

from torch.utils.data import DataLoader

train_dataloader = DataLoader(training_data, batch_size=64, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=64, shuffle=True)

# Display image and label.
train_features, train_labels = next(iter(train_dataloader))
print(f"Feature batch shape: {train_features.size()}")
print(f"Labels batch shape: {train_labels.size()}")
img = train_features[0].squeeze()
label = train_labels[0]
plt.imshow(img, cmap="gray")
plt.show()
print(f"Label: {label}")
'''

IMPORTS = {
    "import torch": "import npnn as torch",
    "from torch.utils.data import Dataset": "from npnn.utils.data import Dataset",
    "from torch.utils.data import DataLoader": "from npnn.utils.data import DataLoader",
    "from torchvision import datasets": "from npnn.vision import datasets",
    "from torchvision.transforms import ToTensor": "from npnn.vision.transforms import ToTensor",
    "from torchvision.transforms import ToTensor, Lambda":
        "from npnn.vision.transforms import ToTensor, Lambda",
    "import pandas as pd": "",
    "from torchvision.io import read_image": "",
}


def port(source: str) -> str:
    """The tutorial with each import line replaced by npnn's; every other line unchanged."""
    def swap(match: re.Match[str]) -> str:
        return IMPORTS.get(match.group(0), match.group(0))

    ported = re.sub(r"^(import|from) .*$", swap, source, flags=re.MULTILINE)
    assert "torchvision" not in ported and not re.search(r"^from torch\b", ported, flags=re.MULTILINE)
    return ported


def test_datasets_and_dataloaders_tutorial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)  # root="data" is relative
    namespace: dict[str, object] = {"__name__": "tutorial"}
    try:
        exec(compile(port(DATA_TUTORIAL), "data_tutorial.py", "exec"), namespace)
    finally:
        plt.close("all")
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "Feature batch shape: (64, 1, 28, 28)"
    assert printed[1] == "Labels batch shape: (64,)"
    assert printed[2].startswith("Label: ") and 0 <= int(namespace["label"]) <= 9
    features = namespace["train_features"]
    assert features.dtype == np.float32 and float(features.min()) >= 0 and float(features.max()) <= 1
    assert namespace["img"].shape == (28, 28)
    assert issubclass(namespace["CustomImageDataset"], npnn.utils.data.Dataset)
    assert not os.path.exists("data")  # found in Debian's directory: nothing downloaded
