"""Plots (matplotlib, no display needed) and the generated experiment report.

Everything here reads run directories and search results only: nothing is retrained. The
one model computation is inference of a best checkpoint on the test split.
"""

from __future__ import annotations

from pathlib import Path

from npnn.report.document import Report, write_report
from npnn.report.model_sections import Echo, quiet
from npnn.report.run_report import build_run_report
from npnn.report.search_report import build_search_report
from npnn.report.sources import ReportError, Run, Search, Trial, is_search, load_run, load_search
from npnn.training.run_dir import is_run_dir

__all__ = ["Report", "ReportError", "Run", "Search", "Trial", "build_report", "load_run", "load_search",
           "write_report"]


def build_report(path: str | Path, top: int = 4, data_dir: str | None = None, echo: Echo = quiet) -> Report:
    """The report of a search directory (or its CSV) or of a run directory."""
    if is_search(path):
        return build_search_report(load_search(path), top=top, data_dir=data_dir, echo=echo)
    if is_run_dir(path):
        return build_run_report(load_run(path), data_dir=data_dir, echo=echo)
    raise ReportError(f"{path} is neither a search directory (no search_result.csv) nor a run directory "
                      "(no config.json): pass a folder made by `npnn search` or `npnn train`")
