"""Data: the IDX format, Fashion-MNIST (locate, download, verify, split), datasets and loaders.

Importing this package touches no files and no network; everything happens on call.
"""

from npnn.data.dataloader import DataLoader
from npnn.data.dataset import ArrayDataset, Normalization
from npnn.data.download import ChecksumError, DownloadError
from npnn.data.fashion_mnist import CLASS_NAMES, DataLocation, DataNotFoundError, locate
from npnn.data.idx import IdxError, parse_idx, read_idx, write_idx
from npnn.data.load import load_fashion_mnist

__all__ = [
    "CLASS_NAMES", "ArrayDataset", "ChecksumError", "DataLoader", "DataLocation", "DataNotFoundError",
    "DownloadError", "IdxError", "Normalization", "load_fashion_mnist", "locate", "parse_idx", "read_idx",
    "write_idx",
]
