"""The `npnn` command: parses argv, prints, exits. Nothing else reads argv or prints.

Exit status (constants in cli/errors.py): 0 success, 1 a run-time problem (missing data,
damaged file, diverged run), 2 invalid arguments or configuration given on the command line,
130 interrupted by Ctrl-C (resumable). NPNN_DEBUG=1 shows the traceback instead of one line.
"""

from __future__ import annotations

import argparse
import sys
import typing
from collections.abc import Sequence

import npnn
from npnn.cli import (
    data_command,
    plot_command,
    report_command,
    search_command,
    test_command,
    train_command,
)
from npnn.cli.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    debugging,
    describe,
    known_errors,
)


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line (no usage dump), pointing at --help; exit status 2."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="npnn",
        description="npnn: train, test and study neural networks on Fashion-MNIST with NumPy.",
    )
    parser.add_argument("--version", action="version", version=f"npnn {npnn.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    data_command.register(commands)
    train_command.register(commands)
    test_command.register(commands)
    search_command.register(commands)
    plot_command.register(commands)
    report_command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `npnn` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    if debugging():
        return args.run(args)
    try:
        return args.run(args)
    except UsageError as error:
        print(f"npnn {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except known_errors() as error:
        print(f"npnn {args.command}: error: {describe(error)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"npnn {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
