"""Read the HTML tables the displays write (imported as ``html_tables``), stdlib only."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Cell:
    tag: str  # "th" or "td"
    text: str
    attrs: dict[str, str]

    @property
    def numeric(self) -> bool:
        return "n" in self.attrs.get("class", "").split()


@dataclass
class Table:
    header: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    caption: str = ""

    def column(self, name: str) -> list[Cell]:
        """The cells of one column, by header name (the index column included)."""
        at = self.header.index(name)
        return [row[at] for row in self.rows]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self.paragraphs: list[str] = []
        self.styles: list[str] = []
        self._cell: Cell | None = None
        self._row: list[Cell] | None = None
        self._in: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.tables.append(Table())
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = Cell(tag, "", values)
        elif tag in ("p", "caption", "style") and self._cell is None:
            self._in, self._text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            table = self.tables[-1]
            if not table.header and all(c.tag == "th" for c in self._row):
                table.header = [c.text for c in self._row]
            else:
                table.rows.append(self._row)
            self._row = None
        elif tag == self._in:
            text = "".join(self._text)
            if tag == "p":
                self.paragraphs.append(text)
            elif tag == "style":
                self.styles.append(text)
            else:
                self.tables[-1].caption = text
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.text += data
        elif self._in is not None:
            self._text.append(data)


@dataclass
class Page:
    tables: list[Table]
    paragraphs: list[str]
    styles: list[str]


def read_page(page: str) -> Page:
    reader = _Reader()
    reader.feed(page)
    reader.close()
    return Page(reader.tables, reader.paragraphs, reader.styles)
