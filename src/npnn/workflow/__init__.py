"""The experiment workflow in Python, for notebooks and scripts: the CLI's operations as functions.

    from npnn import workflow
    run = workflow.train(epochs=2, train_subset=5000)       # npnn train   -> Run
    found = workflow.search("original-1", trials=6, epochs=1) # npnn search  -> Search
    workflow.report(found)                                  # npnn report  -> Report (HTML inline)

Run, Search, their `.results`/`.summary` tables and a Report show as HTML in Jupyter; the figures
are npnn.report's plot_* functions, each returning a matplotlib Figure and drawing into `ax`
when given one. Progress bars are tqdm's auto kind: a widget in Jupyter, text elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from npnn.report import ReportError, build_report, load_run, load_search
from npnn.report.document import Report
from npnn.report.run_report import build_run_report
from npnn.report.search_report import build_search_report
from npnn.report.sources import Run, Search
from npnn.workflow.runs import resume, test, train
from npnn.workflow.searches import search, search_options

__all__ = ["Report", "ReportError", "Run", "Search", "load_run", "load_search", "report", "resume", "search",
           "search_options", "test", "train"]


def report(source: Run | Search | str | Path, top: int = 4, data_dir: str | None = None) -> Report:
    """The experiment report of a search or a run (or the folder of one), as `npnn report` builds
    it; shown inline in Jupyter, written to HTML and Markdown by npnn.report.write_report."""
    if isinstance(source, Search):
        return build_search_report(source, top=top, data_dir=data_dir)
    if isinstance(source, Run):
        return build_run_report(source, data_dir=data_dir)
    return build_report(source, top=top, data_dir=data_dir)
