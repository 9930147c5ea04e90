"""Helpers for the data tests: small fake Fashion-MNIST files and a tiny HTTP server."""

from __future__ import annotations

import hashlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

from npnn.data.idx import encode_idx, write_idx


def fake_arrays(n_train: int = 50, n_test: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    """Random arrays in Fashion-MNIST's format, keyed by file name; labels cycle 0..9."""
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": (np.arange(n_train) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": (np.arange(n_test) % 10).astype(np.uint8),
    }


def write_fake(directory: Path, compress: bool = True, arrays: dict[str, np.ndarray] | None = None) -> Path:
    """Write the four files into `directory` (created), gzipped with .gz names or uncompressed."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in (fake_arrays() if arrays is None else arrays).items():
        write_idx(directory / (f"{name}.gz" if compress else name), array, compress=compress)
    return directory


def fake_sha256() -> dict[str, str]:
    """SHA-256 of each fake file's uncompressed bytes."""
    return {name: hashlib.sha256(encode_idx(array)).hexdigest() for name, array in fake_arrays().items()}


class Server(ThreadingHTTPServer):
    """Serves `files` (URL path -> body); paths in `cut` send half the body, then hang up."""

    url: str
    files: dict[str, bytes]
    cut: set[str]


class Handler(BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:
        body = self.server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if self.path in self.server.cut else body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


def isolate_data_lookup(root: Path, monkeypatch: Any) -> None:
    """Point npnn's data lookup away from the user's cache, $NPNN_DATA and Debian's files."""
    from npnn.data import fashion_mnist

    monkeypatch.setenv("XDG_CACHE_HOME", str(root / "xdg-cache"))
    monkeypatch.delenv("NPNN_DATA", raising=False)
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", root / "debian")
