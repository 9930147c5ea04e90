"""Fashion-MNIST on disk: find the four IDX files, download them if asked, read them verified.

Search order: an explicit `data_dir` (authoritative; downloaded into only if it exists),
`$NPNN_DATA`, the user cache, the Debian package's directory; otherwise download into
`$NPNN_DATA` or the user cache.
Reads are checked against the published SHA-256 of the decompressed bytes and kept in
memory per process, so loading train, val and test reads each file once.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from npnn.data.download import check_sha256, sha256_hex
from npnn.data.download import download as fetch
from npnn.data.idx import parse_idx, read_bytes

CLASS_NAMES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

# role -> canonical file name (without .gz)
FILES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# SHA-256 of the decompressed bytes: the .gz files differ between mirrors and packagers.
SHA256: dict[str, str] = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

BASE_URL = "https://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
MIRROR_URL = "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/"
DEFAULT_BASE_URLS: tuple[str, ...] = (BASE_URL, MIRROR_URL)

# where `sudo apt-get install dataset-fashion-mnist` puts the files; tests point it elsewhere
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

SOURCES = ("data_dir", "NPNN_DATA", "cache", "debian", "downloaded")
_LABELS = {"NPNN_DATA": "$NPNN_DATA", "cache": "user cache", "debian": "Debian package dir"}


class DataNotFoundError(FileNotFoundError):
    """Fashion-MNIST is nowhere on disk and could not be downloaded; the message says how to get it."""


@dataclass(frozen=True)
class DataLocation:
    """Where the four files are: `directory`, how it was found (`source`, one of SOURCES), and
    `files` mapping each role in FILES to its path (.gz or uncompressed)."""

    directory: Path
    source: str
    files: Mapping[str, Path]


def cache_dir() -> Path:
    """The user cache: `$XDG_CACHE_HOME/npnn/fashion-mnist`, else `~/.cache/npnn/fashion-mnist`."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "npnn" / "fashion-mnist"


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a directory we may not search
        return False


def _find(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """The files present in `directory` (uncompressed preferred) and the names of those missing."""
    found: dict[str, Path] = {}
    missing: list[str] = []
    for role, name in FILES.items():
        path = next((p for p in (directory / name, directory / f"{name}.gz") if _is_file(p)), None)
        if path is None:
            missing.append(name)
        else:
            found[role] = path
    return found, missing


def shown(path: str | os.PathLike[str]) -> str:
    """A path for a one-line message: quoted and escaped when it holds a newline or another
    character a terminal would not show."""
    text = os.fspath(path)
    return text if text.isprintable() else repr(text)


def unusable(directory: Path) -> str | None:
    """Why `directory` cannot be searched for the files, in words; None if it can.

    Looks without following anything for ever or blocking: a symlink loop, a dangling link, a FIFO
    and a folder that may not be read each get their own words.
    """
    if "\0" in str(directory):
        return "not a valid path (it contains a NUL character)"
    try:
        mode = os.stat(directory).st_mode
    except FileNotFoundError:
        if os.path.islink(directory):
            return f"a broken symbolic link (to {shown(os.readlink(directory))})"
        return "no such directory"
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "a symbolic link loop"
        if error.errno == errno.ENOTDIR:
            return "not a directory"
        return f"cannot look at it ({error.strerror})"
    if not stat.S_ISDIR(mode):
        return "not a directory" + ("" if stat.S_ISREG(mode) else " (a pipe, socket or device)")
    try:
        with os.scandir(directory):
            pass
    except OSError as error:
        return f"cannot read it ({error.strerror}): check its permissions"
    return None


def _describe(label: str, directory: Path, missing: list[str]) -> str:
    state = unusable(directory)
    if state is None:
        state = ("none of the four files" if len(missing) == len(FILES)
                 else "missing " + ", ".join(f"{name}[.gz]" for name in missing))
    return f"{label} {shown(directory)}: {state}"


def _not_found(looked: Sequence[str], outcome: str) -> DataNotFoundError:
    names = ", ".join(f"{name}.gz" for name in FILES.values())
    return DataNotFoundError(
        "Fashion-MNIST not found. Looked in:\n"
        + "".join(f"  - {place}\n" for place in looked)
        + f"{outcome}\n"
        + "Get the data in one of two ways:\n"
        + f"  1. Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist (installs into {DEBIAN_DIR})\n"
        + f"  2. download {names} from {BASE_URL} into a directory,\n"
        + "     then pass --data-dir DIR (data_dir=DIR) or set NPNN_DATA=DIR"
    )


def locate(
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    base_url: str | Sequence[str] = DEFAULT_BASE_URLS,
    timeout: float = 30.0,
) -> DataLocation:
    """Find the four Fashion-MNIST files, downloading missing ones when `download` is true.

    `base_url` is one base URL or several tried in order (the canonical one, then a mirror).
    Raises DataNotFoundError listing every place looked in and how to get the data.
    """
    urls = (base_url,) if isinstance(base_url, str) else tuple(base_url)
    if data_dir is not None:
        directory = Path(data_dir).expanduser()
        if unusable(directory) is not None:  # most likely a typo: one line, no guide to downloading
            raise DataNotFoundError(
                f"Fashion-MNIST not found: {_describe('data_dir', directory, [])}; "
                + ("an explicit data directory is never created (a mistyped path would get a fresh "
                   "download): fix the path, or create the directory to download into it"
                   if download else "fix the path (downloading is off: download=False)"))
        found, missing = _find(directory)
        if not missing:
            return DataLocation(directory, "data_dir", found)
        looked = [_describe("data_dir", directory, missing)]
        return _download_missing(directory, found, missing, urls, timeout, looked, download)

    env = os.environ.get("NPNN_DATA")
    candidates = [("NPNN_DATA", Path(env).expanduser())] if env else []
    candidates += [("cache", cache_dir()), ("debian", DEBIAN_DIR)]
    looked = [] if env else ["$NPNN_DATA: not set"]
    for source, directory in candidates:
        found, missing = _find(directory)
        if not missing:
            return DataLocation(directory, source, found)
        looked.append(_describe(_LABELS[source], directory, missing))
    target = candidates[0][1]  # $NPNN_DATA if set, else the cache
    found, missing = _find(target)
    return _download_missing(target, found, missing, urls, timeout, looked, download)


def _download_missing(
    directory: Path,
    found: dict[str, Path],
    missing: list[str],
    urls: tuple[str, ...],
    timeout: float,
    looked: list[str],
    allowed: bool,
) -> DataLocation:
    if not allowed:
        raise _not_found(looked, "Downloading is off (download=False).")
    files = dict(found)
    for role, name in FILES.items():
        if name not in missing:
            continue
        dest = directory / f"{name}.gz"
        try:
            payload = fetch([url.rstrip("/") + f"/{name}.gz" for url in urls], dest, SHA256[name], timeout)
        except OSError as exc:
            raise _not_found(looked, f"Downloading into {directory} failed: {exc}") from exc
        _remember(dest, payload)
        files[role] = dest
    return DataLocation(directory, "downloaded", files)


# (resolved path, mtime_ns, size) -> (read-only parsed array, SHA-256 of the decompressed bytes)
_CACHE: dict[tuple[str, int, int], tuple[np.ndarray, str]] = {}


def file_key(path: Path) -> tuple[str, int, int]:
    """Identity of a file's current contents for in-memory caches: path, mtime and size."""
    stat = path.stat()
    return str(path.resolve()), stat.st_mtime_ns, stat.st_size


def _remember(path: Path, payload: bytes) -> tuple[np.ndarray, str]:
    key = file_key(path)
    array = parse_idx(payload, str(path))
    array.setflags(write=False)  # shared by every caller in this process
    for stale in [k for k in _CACHE if k[0] == key[0]]:
        del _CACHE[stale]
    _CACHE[key] = (array, sha256_hex(payload))
    return _CACHE[key]


def read_verified(path: Path, verify: bool = True) -> np.ndarray:
    """The parsed IDX array of `path` (read-only, cached per process), checked against SHA256 by name."""
    path = Path(path)
    entry = _CACHE.get(file_key(path))
    if entry is None:
        entry = _remember(path, read_bytes(path))
    array, digest = entry
    name = path.name.removesuffix(".gz")
    if verify and name in SHA256:
        check_sha256(
            digest,
            SHA256[name],
            str(path),
            "delete it and run again to download a fresh copy (for the Debian package's copy: "
            "sudo apt-get install --reinstall dataset-fashion-mnist)",
        )
    return array
