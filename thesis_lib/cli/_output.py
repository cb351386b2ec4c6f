"""Writing what a command produced: stdout, a file (atomically, never clobbering), stderr notes.

Every command that prints data offers the same formats, ``--format text|json|csv`` (some
also ``markdown``; ``table`` is accepted for ``text``), added by :func:`format_option`
and dispatched by :func:`render`: a command gives one function per format (text, a JSON
document with a fixed set of top-level keys, a :class:`Table` for CSV) and only the one
asked for runs. The JSON shape of each command is documented in docs/command-line.md.

Nothing a command writes carries a control character from the data (an ESC in a company
name, a ``\\r`` in a pack's ``why``): table and markdown cells, CSV cells, notes and error
messages escape them (:mod:`thesis_lib._text`), JSON writes them as ``\\uXXXX``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thesis_lib._text import plain, plain_json, plain_lines
from thesis_lib.errors import ThesisError


class CliError(ThesisError):
    """A problem with the command line's own arguments or output files."""


@dataclass(frozen=True)
class Output:
    """What a command prints on stdout and the exit status it ends with."""

    text: str = ""
    status: int = 0


FORMATS = ("text", "json", "csv")
"""The formats every data-printing command offers."""
_ALIASES = {"table": "text"}


def _format_name(text: str) -> str:
    return _ALIASES.get(text, text)


def format_option(parser: argparse.ArgumentParser, *, text: str, csv: str,
                  markdown: bool = False) -> None:
    """Add ``--format text|json|csv`` (and ``markdown``) to a command's parser; ``text``
    and ``csv`` say what those formats show."""
    choices = (*FORMATS, "markdown") if markdown else FORMATS
    parser.add_argument(
        "--format", choices=choices, default="text", type=_format_name,
        help=f"text: {text} (the default; 'table' is the same); json: one document, its "
             f"keys listed in docs/command-line.md; csv: {csv}"
             + ("; markdown: tables for a report" if markdown else ""))


@dataclass(frozen=True)
class Table:
    """A CSV table: column names and rows. Lists in a cell are joined with ``;``,
    mappings written as JSON, None and NaN left empty."""

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]],
                     columns: Sequence[str] | None = None) -> Table:
        """One row per record; the columns are ``columns`` or every key, in first-seen order."""
        records = list(records)
        if columns is None:
            columns = list(dict.fromkeys(k for r in records for k in r))
        return cls(tuple(columns), [[r.get(c) for c in columns] for r in records])

    def to_csv(self) -> str:
        def cell(value: Any) -> Any:
            if isinstance(value, list | tuple):
                return ";".join("" if finite(v) is None else str(v) for v in value)
            if isinstance(value, Mapping):
                return json.dumps({str(k): finite(v) for k, v in value.items()},
                                  ensure_ascii=False)
            return value

        return to_csv(self.columns, ([cell(v) for v in row] for row in self.rows))


def render(fmt: str, *, text: Callable[[], str], json: Callable[[], Mapping[str, Any]],
           csv: Callable[[], Table], markdown: Callable[[], str] | None = None) -> str:
    """What a command prints in format ``fmt``: only the function for that format runs."""
    if fmt == "json":
        return to_json(json())
    if fmt == "csv":
        return csv().to_csv()
    if fmt == "markdown" and markdown is not None:
        return markdown()
    if fmt not in ("text", "markdown"):  # pragma: no cover - argparse checks the choices
        raise CliError(f"unknown format {fmt!r}", hint="use text, json or csv")
    return text()


def problem_dict(problem: Any) -> dict[str, Any]:
    """A :class:`~thesis_lib.errors.Problem` as a JSON object (the same keys everywhere)."""
    return {"message": problem.message, "file": problem.file, "item": problem.item,
            "field": problem.field, "position": problem.position, "hint": problem.hint}


def note(message: str) -> None:
    """A one-line remark on stderr (never mixed into machine-readable stdout)."""
    for line in plain_lines(message).splitlines() or [""]:
        print(f"note: {line}", file=sys.stderr)


def write_output(text: str, path: str, *, force: bool) -> Path:
    """Write ``text`` to ``path`` atomically; refuse to replace a file unless ``force``."""
    from thesis_lib.loading import write_atomic

    target = Path(path).expanduser()
    if target.is_dir():
        raise CliError("is a directory", file=str(target), hint="give a file name")
    if target.exists() and not force:
        raise CliError("file exists; not replacing it", file=str(target),
                       hint="pass --force to replace it, or choose another --output")
    if not target.parent.is_dir():
        raise CliError("no such directory", file=str(target.parent),
                       hint="create the folder first, or choose another --output")
    try:
        write_atomic(target, plain_lines(text))
    except OSError as exc:
        raise CliError(f"cannot write the file: {exc.strerror or exc}", file=str(target),
                       hint="choose a writable location") from None
    return target


def finite(value: Any) -> Any:
    """JSON-safe: NaN/inf and pandas' NA become None, numpy scalars plain Python."""
    if value is None:
        return None
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, str | bytes):
        with contextlib.suppress(TypeError, ValueError):
            value = item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


def to_json(document: Any) -> str:
    """Indented JSON, NaN written as null."""
    def clean(obj: Any) -> Any:
        if isinstance(obj, Mapping):
            return {str(k): clean(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [clean(v) for v in obj]
        return finite(obj)

    return plain_json(json.dumps(clean(document), indent=2, ensure_ascii=False)) + "\n"


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV with a header line; None and NaN are empty cells; control characters in text
    cells are escaped (``\\x1b``), so every record is one line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        cells = []
        for value in row:
            value = finite(value)
            cells.append("" if value is None else plain(value) if isinstance(value, str)
                         else value)
        writer.writerow(cells)
    return buffer.getvalue()


def markdown_table(columns: Sequence[str], rows: Iterable[Sequence[Any]],
                   align: str = "") -> str:
    """A GitHub-style table; ``align`` has one ``l``/``r`` per column (left by default)."""
    def cell(value: Any) -> str:
        text = "" if finite(value) is None else plain(value)
        return text.replace("|", "\\|")

    marks = [("--:" if a == "r" else "---") for a in align.ljust(len(columns), "l")]
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)

