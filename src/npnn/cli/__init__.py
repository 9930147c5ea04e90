"""The `npnn` command: parses argv, prints, exits. Nothing else reads argv or prints.

Exit status (constants in cli/errors.py): 0 success, 1 a run-time problem (missing data,
damaged file, diverged run), 2 invalid arguments or configuration given on the command line,
130 interrupted by Ctrl-C (resumable; `npnn train` exits 143 for SIGTERM, 129 for SIGHUP).
`npnn --debug COMMAND` (or NPNN_DEBUG=1) prints the traceback before that line; the exit
status stays the same.
"""

from __future__ import annotations

import argparse
import sys
import traceback
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
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an error instead of one line (also: NPNN_DEBUG=1)")
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
    try:
        return args.run(args)
    except UsageError as error:
        return _report(args, EXIT_USAGE, f"error: {error}")
    except known_errors() as error:
        return _report(args, EXIT_FAILURE, f"error: {describe(error)}")
    except KeyboardInterrupt:
        return _report(args, EXIT_INTERRUPTED, "interrupted")


def _report(args: argparse.Namespace, status: int, message: str) -> int:
    """Print the exception being handled as one line (after its traceback with --debug)."""
    if args.debug or debugging():
        traceback.print_exc()
    print(f"npnn {args.command}: {message}", file=sys.stderr)
    return status
