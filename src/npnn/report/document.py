"""The report as data (sections of paragraphs, tables and figures) and its two renderings.

Builders fill a `Report`; `write_report` turns it into one self-contained HTML file (figures
embedded as data: URIs, so it opens offline from a file:// URL) and a Markdown twin whose
figures sit in a `<name>_files/` folder beside it.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from npnn.serialization import atomic_write_bytes, atomic_write_text


@dataclass
class Paragraph:
    text: str
    kind: str = "paragraph"


@dataclass
class Bullets:
    items: list[str]
    kind: str = "bullets"


@dataclass
class Table:
    """Cells are display strings; `numeric` marks columns to right-align."""

    caption: str
    columns: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)
    kind: str = "table"

    def _repr_html_(self) -> str:
        """Jupyter shows the table as HTML."""
        return render_fragment(table=self)


@dataclass
class Figure:
    """A rendered figure: PNG bytes plus the name its Markdown file gets."""

    name: str
    caption: str
    png: bytes
    kind: str = "figure"

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


Block = Paragraph | Bullets | Table | Figure


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, block: Block) -> Block:
        self.blocks.append(block)
        return block

    @property
    def anchor(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.title.lower()).strip("-")


@dataclass
class Report:
    title: str
    subtitle: str
    sections: list[Section] = field(default_factory=list)

    def section(self, title: str) -> Section:
        section = Section(title)
        self.sections.append(section)
        return section

    @property
    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]

    def _repr_html_(self) -> str:
        """Jupyter shows the whole report inline (without the page's styles and contents list)."""
        return render_fragment(report=self)


def _environment() -> Any:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("npnn.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
    )


def render_html(report: Report) -> str:
    """One self-contained page: inline CSS, figures as data: URIs, no scripts, no network."""
    return _environment().get_template("report.html").render(report=report)


def render_fragment(**what: Any) -> str:
    """HTML for a notebook cell: `report=` a Report or `table=` a Table, styled by the notebook."""
    return _environment().get_template("notebook.html").render(**what)


def render_markdown(report: Report, files_dir: str) -> str:
    """Markdown with figures linked from `files_dir` (relative to the .md file)."""
    return _environment().get_template("report.md").render(
        report=report, files_dir=files_dir, cell=_markdown_cell)


def _markdown_cell(text: str) -> str:
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def write_report(report: Report, html_path: str | Path) -> tuple[Path, Path]:
    """Write `report.html` and `report.md` (+ `report_files/*.png`) atomically; return both paths."""
    html_path = Path(html_path)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    markdown_path = html_path.with_suffix(".md")
    files_dir = html_path.parent / f"{html_path.stem}_files"
    files_dir.mkdir(exist_ok=True)
    for figure in report.figures:
        atomic_write_bytes(files_dir / f"{figure.name}.png", figure.png)
    atomic_write_text(markdown_path, render_markdown(report, files_dir.name))
    atomic_write_text(html_path, render_html(report))
    return html_path, markdown_path
