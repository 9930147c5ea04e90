"""Errors of the report, the search's results table and the ONNX export, in a module that
imports nothing.

npnn.report loads matplotlib, npnn.search Optuna and npnn.onnx the onnx package; the CLI
catches these errors from here, so catching them (say, after `npnn train` fails) loads none.
"""


class ReportError(ValueError):
    """A path that holds neither a run nor a search; the message says what was expected."""


class ResultsError(ValueError):
    """A file that is not a results table written by `npnn search`; the message names the file
    and gives the reason (callers add what to do)."""


class OnnxExportError(ValueError):
    """A model (or one of its layers) that cannot be written as ONNX; the message names the layer
    and says why."""
