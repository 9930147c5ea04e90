"""Save the Fashion-MNIST training split once, as the .npy files every speed worker loads.

A child of its own, so the orchestrator never holds the data: Linux starts a child's
ru_maxrss at its parent's peak, and a small parent keeps the children's figures honest.
Prints the number of images.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from npnn.data import load_fashion_mnist


def main() -> None:
    folder = Path(sys.argv[1])
    train = load_fashion_mnist("train", standardize=True)  # the first 48,000 images, standardized
    np.save(folder / "images.npy", np.ascontiguousarray(train.images, dtype=np.float32))
    np.save(folder / "labels.npy", train.labels.astype(np.int64))
    print(len(train))


if __name__ == "__main__":
    main()
