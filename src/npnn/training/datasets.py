"""The splits a run trains, validates and tests on, loaded as its TrainConfig says, and the
augmentation of its training batches."""

from __future__ import annotations

from npnn.data import ArrayDataset, ChecksumError, IdxError, load_fashion_mnist
from npnn.data.augment import Augment, batch_augmentation
from npnn.training.config import ConfigError, TrainConfig


def load_split(config: TrainConfig, split: str, data_dir: str | None = None,
               subset: int | None = None) -> ArrayDataset:
    """One split ('train', 'val' or 'test') prepared like the run's training data.

    `data_dir` overrides the config's; a `subset` larger than the split is a ConfigError
    on train_subset.
    """
    options = config.data_options()
    if data_dir is not None:
        options["data_dir"] = data_dir
    try:
        return load_fashion_mnist(split, subset=subset, **options)
    except ValueError as error:
        if subset is None or isinstance(error, (ChecksumError, IdxError)):
            raise
        raise ConfigError("train_subset", f"must fit in the training split: {error}") from None


def load_datasets(config: TrainConfig) -> tuple[ArrayDataset, ArrayDataset]:
    """The train and validation splits as the config asks for them."""
    return load_split(config, "train", subset=config.train_subset), load_split(config, "val")


def augmentation(config: TrainConfig) -> Augment | None:
    """The training loader's augmentation of the batches, None without `augment`."""
    if not config.augment:
        return None
    return batch_augmentation(config.augment_shift, config.augment_flip, config.augment_erase)
