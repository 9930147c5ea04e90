"""Errors the CLI reports as one line, without a traceback."""

from __future__ import annotations

EXIT_USAGE = 2


class UsageError(ValueError):
    """Invalid arguments or configuration: exit status 2."""


def known_errors() -> tuple[type[BaseException], ...]:
    """Problems a user can fix from the message alone."""
    from npnn.data import DataNotFoundError, IdxError
    from npnn.serialization import CheckpointError

    return (DataNotFoundError, IdxError, CheckpointError, FileNotFoundError, FileExistsError,
            PermissionError)
