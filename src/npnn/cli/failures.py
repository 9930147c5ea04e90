"""The run-time errors the CLI reports as one line without a traceback (exit status 1), and
their messages. The errors of the report and of the search come from npnn.errors, so catching
them loads neither matplotlib nor Optuna."""

from __future__ import annotations

from npnn.data import ChecksumError, DataNotFoundError, DownloadError, IdxError
from npnn.errors import OnnxExportError, ReportError, ResultsError
from npnn.serialization import CheckpointError
from npnn.training import ConfigError, ResumeError
from npnn.training.errors import machine_fault
from npnn.training.predict import PredictError


def known_errors() -> tuple[type[BaseException], ...]:
    """Problems a user can fix from the message alone (exit status 1)."""
    # OSError: a missing or unreadable path, a full disk; the message names the file
    return (ReportError, DataNotFoundError, DownloadError, IdxError, ChecksumError, CheckpointError,
            ConfigError, ResumeError, ResultsError, OnnxExportError, PredictError, OSError,
            MemoryError)


def describe(error: BaseException) -> str:
    """The message of a known error, with the fix where the error itself cannot know it."""
    if isinstance(error, ConfigError) and error.source:
        return f"{error} (edit {error.source} back to a valid value)"
    if isinstance(error, MemoryError):  # outside training (which says where it stopped)
        fault = machine_fault(error)
        return f"{fault.problem}; {fault.fix}" if fault is not None else str(error)
    return str(error)
