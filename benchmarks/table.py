"""Plain-text tables for the terminal: text columns left-aligned, numbers right-aligned."""

from __future__ import annotations

from collections.abc import Sequence


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """`rows` of already formatted cells under `headers`; the first `left` columns align left."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(cell).ljust(width) if i < left else str(cell).rjust(width)
                         for i, (cell, width) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(headers), line(["-" * width for width in widths]), *map(line, rows)])


def percent(value: float | None) -> str:
    """`value` as a whole percentage, or '-' when there is none."""
    return "-" if value is None else f"{value:.0%}"


def number(value: float | None, digits: int = 3) -> str:
    """`value` with `digits` decimals, or '-' when there is none."""
    return "-" if value is None else f"{value:.{digits}f}"
