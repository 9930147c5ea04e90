"""The `npnn` command: parses argv, prints, exits. Nothing else reads argv or prints.

Exit status (constants in cli/errors.py): 0 success, 1 a run-time problem (missing data,
damaged file, diverged run), 2 invalid arguments or configuration given on the command line,
130 interrupted by Ctrl-C (resumable; `npnn train` and `npnn search` exit 143 for SIGTERM, 129 for
SIGHUP), 141 (128 + SIGPIPE) quietly when the reader of its output goes away, as
`npnn data | head -1` does. `npnn --debug COMMAND` (or NPNN_DEBUG=1) prints the traceback before
that line; the exit status stays the same.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

import npnn
from npnn.cli.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    debugging,
    discard_stdout,
)
from npnn.cli.matplotlib_dir import ensure_writable_matplotlib_dir


class HelpFormatter(argparse.HelpFormatter):
    """Every option's default said once, at the end of its help, unless the help already says it
    (or there is none to say: no value, or a plain on/off flag)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if (not action.option_strings or action.nargs == 0 or "default" in text
                or action.default in (None, argparse.SUPPRESS)):
            return action.help
        return f"{text} (default: %(default)s)"


class RawDescriptionHelpFormatter(argparse.RawDescriptionHelpFormatter, HelpFormatter):
    """HelpFormatter with the description kept as written (plot's and search's usage lines)."""


_FORMATTERS = {argparse.HelpFormatter: HelpFormatter,
               argparse.RawDescriptionHelpFormatter: RawDescriptionHelpFormatter}


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line (no usage dump), pointing at the --help of the (sub)command they
    belong to; exit status 2. argparse's formatters are replaced by the ones above, which say
    each default once."""

    def __init__(self, *args: Any, formatter_class: Any = HelpFormatter, **kwargs: Any) -> None:
        super().__init__(*args, formatter_class=_FORMATTERS.get(formatter_class, formatter_class), **kwargs)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> tuple[Any, list[str]]:
        """A subcommand's parser says itself that it does not know an argument (argparse hands
        unknown arguments up to `npnn`, whose error would point at `npnn --help`)."""
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    # the commands import the workflow (npnn.training, npnn.data) at their tops: loaded once a
    # command line is parsed, so `import npnn.cli` stays light (plot, report and search import
    # matplotlib and Optuna only when they run)
    from npnn.cli import (
        data_command,
        export_command,
        plot_command,
        predict_command,
        report_command,
        search_command,
        test_command,
        train_command,
    )

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
    predict_command.register(commands)
    search_command.register(commands)
    plot_command.register(commands)
    report_command.register(commands)
    export_command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `npnn` console script; returns the exit status."""
    ensure_writable_matplotlib_dir()
    try:
        status = _main(argv)
        sys.stdout.flush()  # a reader gone away shows here, not at exit
        return status
    except BrokenPipeError:
        discard_stdout()
        return EXIT_BROKEN_PIPE


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    # the same boundary as build_parser's: the errors of the workflow its commands loaded
    from npnn.cli.failures import describe, known_errors

    try:
        return args.run(args)
    except BrokenPipeError:
        raise  # an OSError, but no error of the command's: main() exits quietly
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
