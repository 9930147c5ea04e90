"""`npnn data`: find and verify Fashion-MNIST, or explain how to get it."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from npnn.cli.errors import EXIT_OK
from npnn.data import CLASS_NAMES, load_fashion_mnist, locate


def register(commands: Any) -> None:
    parser = commands.add_parser("data", help="locate and verify the Fashion-MNIST files",
                                 description=__doc__)
    parser.add_argument("--data-dir", help="folder holding the four IDX files (default: search)")
    parser.add_argument("--no-download", action="store_true",
                        help="only look for local copies; never download")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    location = locate(args.data_dir, download=not args.no_download)
    print(f"Fashion-MNIST found in {location.directory} ({location.source}); checksums verified")
    for name, path in location.files.items():
        print(f"  {name:<14} {path}")
    for split in ("train", "val", "test"):
        dataset = load_fashion_mnist(split, data_dir=str(location.directory), download=False)
        counts = np.bincount(dataset.labels, minlength=len(CLASS_NAMES))
        print(f"  {split:<5} {len(dataset):>6} images, {counts.min()}-{counts.max()} per class")
    print("  classes: " + ", ".join(CLASS_NAMES))
    return EXIT_OK
