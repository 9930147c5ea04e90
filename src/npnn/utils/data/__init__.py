"""`torch.utils.data` for npnn: Dataset, TensorDataset, samplers, default_collate, DataLoader.

Differences from PyTorch are listed in dataloader.py's and sampler.py's docstrings.
"""

from npnn.utils.data.collate import default_collate, default_convert
from npnn.utils.data.dataloader import DataLoader, get_worker_info
from npnn.utils.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from npnn.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
    "RandomSampler", "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
    "WeightedRandomSampler", "default_collate", "default_convert", "get_worker_info", "random_split",
]
