"""A writable config/cache folder for matplotlib, chosen before it is imported.

matplotlib keeps its config and font cache in $MPLCONFIGDIR, else $XDG_CONFIG_HOME/matplotlib and
$XDG_CACHE_HOME/matplotlib (~/.config, ~/.cache). Where those cannot be written (a read-only
HOME, a container's HOME=/nonexistent) it makes a new temporary folder on every import and logs
two warning lines, which then stood before every message and output of `npnn`. The CLI points
MPLCONFIGDIR at a private folder under the temp directory instead, the same one each time so the
font cache is built once.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

ENV = "MPLCONFIGDIR"


def ensure_writable_matplotlib_dir() -> None:
    """Set $MPLCONFIGDIR to a private temp folder when matplotlib's own choice is not writable."""
    if "matplotlib" in sys.modules:
        return  # too late to matter: it has chosen already
    if all(_writable(folder) for folder in _default_folders()):
        return
    folder = _private_temp_folder()
    if folder is not None:
        os.environ[ENV] = str(folder)


def _default_folders() -> list[Path | None]:
    """The folders matplotlib would use (None where it cannot even name one)."""
    if os.environ.get(ENV):
        return [Path(os.environ[ENV])]
    try:
        home = Path.home()
    except (RuntimeError, KeyError):  # no $HOME and no password entry
        return [None]
    return [Path(os.environ.get(variable) or home / default) / "matplotlib"
            for variable, default in (("XDG_CONFIG_HOME", ".config"), ("XDG_CACHE_HOME", ".cache"))]


def _writable(folder: Path | None) -> bool:
    """matplotlib's own test: the folder can be made, is a folder and may be written."""
    if folder is None:
        return False
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return folder.is_dir() and os.access(folder, os.W_OK)
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return False


def _private_temp_folder() -> Path | None:
    """`npnn-matplotlib-UID` in the temp directory, ours alone (0o700, not a link); a fresh one
    if someone else holds that name; None if the temp directory cannot be written either."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    folder = Path(tempfile.gettempdir()) / f"npnn-matplotlib-{uid}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
        if (stat.S_ISDIR(info.st_mode) and info.st_uid == uid and not info.st_mode & 0o077
                and os.access(folder, os.W_OK)):
            return folder
        return Path(tempfile.mkdtemp(prefix="npnn-matplotlib-"))
    except OSError:
        return None
