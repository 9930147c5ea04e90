"""Exit statuses, UsageError and the CLI's error plumbing; the run-time errors it reports as one
line are listed in failures.py. Imports nothing of the workflow: `import npnn.cli` stays light."""

from __future__ import annotations

import os
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_FAILURE = 1  # a run-time problem: missing data, a damaged file, a diverged run
EXIT_USAGE = 2  # invalid arguments, or an invalid --config file given on the command line
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of stdout went away (`npnn data | head -1`)

DEBUG_ENV = "NPNN_DEBUG"  # NPNN_DEBUG=1: print the traceback before the one-line error


class UsageError(ValueError):
    """Invalid arguments or configuration: exit status 2."""


def check_folders(flag: str, path: Path, purpose: str) -> None:
    """UsageError where `path` or a folder above it exists as a file: `flag` must lead to folders."""
    for folder in (path, *path.parents):
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"{flag}: {folder} is a file, not a folder; {purpose}")


def discard_stdout() -> None:
    """Once the reader of stdout has gone away, send the rest of stdout to /dev/null: later prints,
    and Python's flush at exit, would raise BrokenPipeError again (and print about it)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is no file at all (captured in a test): nothing to do
        pass


def debugging() -> bool:
    """True when $NPNN_DEBUG asks for tracebacks with the one-line messages."""
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")

