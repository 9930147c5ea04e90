"""The `npnn` command: parses argv, prints, exits. Nothing else reads argv."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import npnn


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="npnn", description="npnn: a NumPy neural-network library and experiment workflow."
    )
    parser.add_argument("--version", action="version", version=f"npnn {npnn.__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `npnn` console script; returns the exit status."""
    parser = build_parser()
    parser.parse_args(argv)
    print(f"npnn {npnn.__version__}")
    return 0
