"""`npnn report`: one self-contained HTML experiment report (and a Markdown twin) from a search
directory or a run directory. Nothing is retrained; the best model is only run on the test set."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from npnn.cli.errors import EXIT_OK, UsageError, check_folders


def register(commands: Any) -> None:
    parser = commands.add_parser("report", help="write an HTML + Markdown experiment report",
                                 description=__doc__)
    parser.add_argument("path", type=Path, metavar="SEARCH_DIR|RUN_DIR",
                        help="a folder made by `npnn search` (or its search_result.csv) or by `npnn train`")
    parser.add_argument("-o", "--out", type=Path,
                        help="HTML file to write (default: report.html inside the folder given); "
                             "the Markdown twin goes beside it")
    parser.add_argument("--top", type=int, default=4, help="models per best-models table (default: 4)")
    parser.add_argument("--data-dir", help="folder with the Fashion-MNIST files (default: as trained)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # the CLI's one import of npnn.report, and so of matplotlib, for reports: only `npnn report` runs it
    from npnn.report import build_report, write_report

    if args.top < 1:
        raise UsageError(f"--top must be at least 1, got {args.top}")
    if not args.path.exists():
        raise FileNotFoundError(f"{args.path} does not exist: pass a folder made by `npnn search` or "
                                "`npnn train`")
    if args.out is not None:
        if args.out.is_dir():
            raise UsageError(f"-o: {args.out} is a folder; give the HTML file to write, e.g. "
                             f"{args.out / 'report.html'}")
        check_folders("-o", args.out.parent, "give a path inside a folder")
    started = time.perf_counter()
    report = build_report(args.path, top=args.top, data_dir=args.data_dir, echo=print)
    folder = args.path.parent if args.path.is_file() else args.path
    html_path, markdown_path = write_report(report, args.out or folder / "report.html")
    print(f"wrote {html_path} and {markdown_path} ({len(report.figures)} figures) in "
          f"{time.perf_counter() - started:.1f}s")
    return EXIT_OK
