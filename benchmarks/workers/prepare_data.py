"""Save the Fashion-MNIST training split once, as the .npy files every speed worker loads.

A child of its own, so the orchestrator never holds the data: Linux starts a child's
ru_maxrss at its parent's peak, and a small parent keeps the children's figures honest.
Also writes the 10,000 test images (test-images.npy, test-labels.npy) that the inference rows
run over. Prints the number of training images.
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
    test = load_fashion_mnist("test", standardize=True)  # standardized with the train split's scalars
    np.save(folder / "test-images.npy", np.ascontiguousarray(test.images, dtype=np.float32))
    np.save(folder / "test-labels.npy", test.labels.astype(np.int64))
    print(len(train))


if __name__ == "__main__":
    main()
