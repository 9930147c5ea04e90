"""npnn through its public API, written as a user would (and as npnn's own Trainer trains).

Sequential(Linear, ReLU, ..., Linear), F.cross_entropy on logits, optim.Adam or SGD(momentum),
and the library's shuffling DataLoader over an ArrayDataset.
"""

from __future__ import annotations

import numpy as np
from common import build_mlp, load_data, measure, parse_spec, train_step

import npnn
import npnn.nn.functional as F
from npnn import nn, optim
from npnn.data import ArrayDataset, DataLoader


def main() -> None:
    spec = parse_spec()
    images, labels = load_data(spec)
    npnn.manual_seed(spec.seed)
    model, optimizer = build_mlp(nn, optim, spec)
    loader = DataLoader(ArrayDataset(images, labels), spec.batch_size, shuffle=True, seed=spec.seed)

    def train_epoch(epoch: int) -> float:
        loader.set_epoch(epoch)
        return sum(train_step(model, optimizer, F.cross_entropy, x, y) for x, y in loader) / len(labels)

    # the Trainer's setting: overflow shows as a non-finite loss rather than as warnings
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        measure(spec, train_epoch)


if __name__ == "__main__":
    main()
