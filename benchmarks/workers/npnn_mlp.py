"""npnn through its public API, written as a user would (and as npnn's own Trainer trains).

Sequential(Linear, ReLU, ..., Linear) or the CNN, F.cross_entropy on logits, optim.Adam or
SGD(momentum), and the library's shuffling DataLoader over an ArrayDataset. With `--task
infer`, one epoch is the model in eval mode under no_grad over all images in order.
"""

from __future__ import annotations

# npnn before NumPy, as `npnn train` imports it: npnn sets how long OpenBLAS's idle threads spin,
# which OpenBLAS reads when NumPy loads it (src/npnn/_blas_threads.py)
import npnn  # isort: skip
import numpy as np
from common import build_mlp, load_data, measure, parse_spec, train_step

import npnn.nn.functional as F
from npnn import nn, optim
from npnn.data import ArrayDataset, DataLoader


def main() -> None:
    spec = parse_spec()
    images, labels = load_data(spec)
    npnn.manual_seed(spec.seed)
    model, optimizer = build_mlp(nn, optim, spec)
    infer = spec.task == "infer"
    loader = DataLoader(ArrayDataset(images, labels), spec.batch_size, shuffle=not infer, seed=spec.seed)

    def train_epoch(epoch: int) -> float:
        loader.set_epoch(epoch)
        return sum(train_step(model, optimizer, F.cross_entropy, x, y) for x, y in loader) / len(labels)

    def infer_epoch(epoch: int) -> float:
        with npnn.no_grad():
            total = sum(F.cross_entropy(model(x), y, reduction="sum").item() for x, y in loader)
        return total / len(labels)

    if infer:
        model.eval()
    # the Trainer's setting: overflow shows as a non-finite loss rather than as warnings
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        measure(spec, infer_epoch if infer else train_epoch)


if __name__ == "__main__":
    main()
