"""The experiment report of a search: the original's "Experiments Report", generated."""

from __future__ import annotations

import time

from npnn.report.catalogue import SEARCH, draw
from npnn.report.document import Bullets, Paragraph, Report
from npnn.report.findings import search_findings
from npnn.report.model_sections import (
    Echo,
    curves_section,
    figure_block,
    quiet,
    test_section,
    weights_section,
)
from npnn.report.setup import duration_text, fields_table, setup_section, varying_fields
from npnn.report.sources import Run, Search, Trial, best_table, load_run, trials_table
from npnn.serialization import CheckpointError


def build_search_report(search: Search, top: int = 4, data_dir: str | None = None,
                        echo: Echo = quiet) -> Report:
    """Setup, best-model tables per family (MLP depth, CNN blocks), search plots, curves, weights
    and test of the best."""
    runs = _readable_runs(search, echo)
    name = search.meta.get("space") or search.path.name
    report = Report(f"Experiment report: search {name}",
                    f"{search.path} · {len(search.trials)} trials · "
                    f"generated {time.strftime('%Y-%m-%d %H:%M')}")
    fail_reasons = {t.number: _fail_reason(t, runs) for t in search.trials if t.state == "fail"}
    report.section("Findings").add(Bullets(search_findings(search, fail_reasons)))

    best = search.best()
    setup = report.section("Setup")
    if best and best[0].number in runs:
        seconds = sum(t.seconds for t in search.trials)
        run = runs[best[0].number]
        setup.add(Paragraph(f"As trained for the best trial (number {best[0].number}); the table below lists "
                            "what the search varied."))
        setup_section(setup, run.config, run.machine,
                      f"{duration_text(seconds)} of training over {len(search.trials)} trials "
                      f"(wall time is shorter with --jobs > 1)")
    if runs:
        fixed, varying = varying_fields([r.config for r in runs.values()])
        setup.add(fields_table(fixed, varying))

    section = report.section("Best models")
    section.add(Paragraph("Ranked by validation accuracy; test accuracy is shown beside it but never used to "
                          "choose, so it stays an unbiased estimate."))
    for family in search.families:
        ranked = search.best(family, top)
        if ranked:
            pool = sum(t.complete and t.family == family for t in search.trials)
            section.add(best_table(ranked, family, pool))

    echo("report: search plots")
    plots = report.section("Search results")
    if search.complete:
        for entry, stem, figure in draw(SEARCH, search):
            plots.add(figure_block(stem, entry.caption, figure))
    else:
        plots.add(Paragraph("No trial has finished yet, so there is nothing to plot."))

    top_runs = [runs[t.number] for family in search.families for t in search.best(family, top)
                if t.number in runs]
    if top_runs:
        echo("report: training curves")
        curves_section(report, top_runs, "Training curves of the top models",
                       f"The best {top} trials of each family (MLPs by depth, CNNs by blocks), by "
                       "validation accuracy.")
        best_per_family = [(f"Best, {family} (trial {t.number})", runs[t.number])
                           for family in search.families for t in search.best(family, 1) if t.number in runs]
        weights_section(report, best_per_family, echo, data_dir)
    if best and best[0].number in runs:
        test_section(report, runs[best[0].number], f"Best model (trial {best[0].number})", data_dir, echo)
    elif best and best[0].run_dir is not None and not best[0].run_dir.is_dir():
        report.section(f"Best model (trial {best[0].number})").add(Paragraph(
            f"Trained elsewhere: its run directory {best[0].run_dir} is not on this machine (a worker "
            f"on another machine trained it), so its test, curves and weights are not shown; its "
            f"accuracies above come from the study. Copy that folder into {search.path / 'runs'} "
            f"and run the report again to include them."))
    elif best:
        report.section(f"Best model (trial {best[0].number})").add(Paragraph(
            f"Its run directory ({best[0].run_dir or 'not recorded'}) could not be read, so its test, "
            "curves and weights are not shown; its accuracies above come from the study."))
    all_trials = report.section("All trials")
    elsewhere = [t for t in search.trials if t.complete and t.number not in runs
                 and t.run_dir is not None and not t.run_dir.is_dir()]
    if elsewhere:
        all_trials.add(Paragraph(
            f"{len(elsewhere)} trial{'s' if len(elsewhere) > 1 else ''} trained by workers whose run "
            f"directories are not on this machine, listed from the study: "
            + "; ".join(f"trial {t.number} in {t.run_dir}" for t in elsewhere) + "."))
    all_trials.add(trials_table(search, fail_reasons))
    return report


def _readable_runs(search: Search, echo: Echo) -> dict[int, Run]:
    """The trials' run directories that can be read; the others are simply left out of the plots."""
    runs = {}
    for trial in search.trials:
        if trial.run_dir is None or not trial.run_dir.is_dir():
            continue
        try:
            runs[trial.number] = load_run(trial.run_dir)
        except (FileNotFoundError, CheckpointError, ValueError) as error:
            echo(f"report: skipping {trial.run_dir}: {error}")
    return runs


def _fail_reason(trial: Trial, runs: dict[int, Run]) -> str:
    run = runs.get(trial.number)
    reason = run.status.get("reason") if run else None
    return str(reason) if reason else "reason not recorded"
