"""The experiment report of one training run."""

from __future__ import annotations

import time

from npnn.report.document import Bullets, Report, Table
from npnn.report.findings import run_findings
from npnn.report.model_sections import Echo, curves_section, quiet, test_section, weights_section
from npnn.report.setup import duration_text, setup_section
from npnn.report.sources import Run


def build_run_report(run: Run, data_dir: str | None = None, echo: Echo = quiet) -> Report:
    """Setup, curves, weights and test results of a run; findings once the test is known."""
    report = Report(f"Experiment report: run {run.name}",
                    f"{run.path} · {run.label} · generated {time.strftime('%Y-%m-%d %H:%M')}")
    findings = report.section("Findings")
    seconds = run.status.get("seconds")
    setup = report.section("Setup")
    setup_section(setup, run.config, run.machine,
                  f"{duration_text(float(seconds))} of training" if isinstance(seconds, (int, float))
                  else "not recorded")
    curves_section(report, [run], "Training curves",
                   f"{len(run.history.records)} evaluations of the validation split.")
    weights_section(report, [("Best checkpoint", run)], echo, data_dir)
    test_section(report, run, "Best checkpoint", data_dir, echo)
    findings.add(Bullets(run_findings(run)))  # after the test section has filled run.test
    config = run.config.to_dict()
    report.section("Configuration").add(Table("config.json", ["field", "value"],
                                              [[name, str(value)] for name, value in config.items()]))
    return report
