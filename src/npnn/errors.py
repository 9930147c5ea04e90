"""Errors of the report and the search's results table, in a module that imports nothing.

npnn.report loads matplotlib and npnn.search loads Optuna; the CLI catches these errors from
here, so catching them (say, after `npnn train` fails) loads neither.
"""


class ReportError(ValueError):
    """A path that holds neither a run nor a search; the message says what was expected."""


class ResultsError(ValueError):
    """A file that is not a results table written by `npnn search`; the message names the file
    and gives the reason (callers add what to do)."""
