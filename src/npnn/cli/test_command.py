"""`npnn test`: accuracy, per-class accuracy and confusion matrix of a run's best checkpoint."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from npnn.cli.errors import EXIT_OK
from npnn.training.evaluation import evaluate_run

CORNER = "true \\ predicted"  # the confusion matrix's top-left cell


def register(commands: Any) -> None:
    parser = commands.add_parser("test", help="test a run's best checkpoint", description=__doc__)
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a folder made by `npnn train`")
    parser.add_argument("--split", choices=("test", "val"), default="test",
                        help="held-out split to evaluate (default: test)")
    parser.add_argument("--data-dir", help="folder with the Fashion-MNIST files (default: as trained)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    report = evaluate_run(args.run_dir, args.split, args.data_dir)
    print_report(report)
    written = "test.json" if args.split == "test" else "val.json"
    print(f"written to {args.run_dir / written}")
    return EXIT_OK


def print_report(report: dict[str, Any], brief: bool = False) -> None:
    """Accuracy line; unless brief, per-class accuracy and the confusion matrix too."""
    print(f"{report['split']} accuracy: {report['accuracy']:.2%} on {report['examples']} images "
          f"(loss {report['loss']:.4f})")
    if brief:
        return
    classes = report["classes"]
    width = max(len(name) for name in classes)
    print("per-class accuracy:")
    for name in classes:
        print(f"  {name:<{width}}  {report['per_class_accuracy'][name]:.2%}")
    labels = [f"{index} {name}" for index, name in enumerate(classes)]
    width = max(len(CORNER), *map(len, labels))
    print("confusion matrix (rows: true class; columns: predicted class, numbered as the rows):")
    print(f"  {CORNER:<{width}}" + "".join(f"{index:>6}" for index in range(len(classes))))
    for label, row in zip(labels, report["confusion_matrix"], strict=True):
        print(f"  {label:<{width}}" + "".join(f"{count:>6}" for count in row))
