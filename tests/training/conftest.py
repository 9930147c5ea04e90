"""Shared fixtures: real Fashion-MNIST, loaded once, cut down so that a training run is quick."""

import pytest

from npnn.data import load_fashion_mnist
from npnn.training import TrainConfig

TRAIN_IMAGES = 2000
VAL_IMAGES = 2000


@pytest.fixture(scope="session")
def small_data():
    """Real images: the first 2,000 of the train split and of the val split."""
    train = load_fashion_mnist("train", standardize=True, subset=TRAIN_IMAGES)
    val = load_fashion_mnist("val", standardize=True, subset=VAL_IMAGES)
    return train, val


@pytest.fixture
def quick_config():
    return TrainConfig(hidden=[64], epochs=2, batch_size=100, dropout=0.1, train_subset=TRAIN_IMAGES,
                       eval_every=7, seed=3)
