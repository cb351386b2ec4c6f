"""Plain text out: control characters in data never reach a terminal raw (no dependencies).

Pack ids, rule ids, ``why`` texts, company names and tickers come from files and frames
a user may not have written. Before any of them is shown as text (the ``thesis``
command's output and errors, ``to_text()`` and ``str()`` of results), every character
that could steer a terminal or reorder what is shown is written as a Python-style escape:

- C0 controls ``U+0000``-``U+001F`` (ESC, ``\\r``, ``\\n``, tab, ...) and DEL ``U+007F``:
  ``\\x1b``, ``\\r``, ``\\n``, ``\\t``, ``\\x7f``;
- C1 controls ``U+0080``-``U+009F`` (``U+009B`` is a one-character CSI): ``\\x9b``;
- bidirectional formatting characters (``U+200E``, ``U+200F``, ``U+202A``-``U+202E``,
  ``U+2066``-``U+2069``), which can make text read differently from what it is:
  ``\\u202e``; and the line and paragraph separators ``U+2028``, ``U+2029``.

Everything else, other non-ASCII text included (``Hynix``, ``三星``), is shown as it is.
:func:`plain` escapes one value (for a single-line field); :func:`plain_lines` escapes a
whole text but keeps its line breaks.

Identifiers (rule ids, pack ids, the column names an expression reads) must be printable
ASCII: Python reads ``listed`` written in fullwidth letters (U+FF4C ...) or in
mathematical bold letters (U+1D425 ...) as plain ``listed`` after NFKC normalisation, so
a lookalike would silently read another column.
:func:`first_unsafe_in_identifier` finds the first offending character and
:func:`describe_char` names it (``U+FF4C FULLWIDTH LATIN SMALL LETTER L``).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["describe_char", "first_unsafe_in_identifier", "plain", "plain_json",
           "plain_lines"]

_OTHERS = "\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_ANY = re.compile(f"[\x00-\x1f{_OTHERS}]")
_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f{_OTHERS}]")
_JSON_RAW = re.compile(f"[{_OTHERS}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text: object) -> str:
    """``str(text)`` with every control and bidirectional formatting character escaped
    (newlines too): safe to show on one line of a terminal."""
    value = text if isinstance(text, str) else str(text)
    if _ANY.search(value) is None:
        return value
    return _ANY.sub(_escape, value)


def plain_lines(text: str) -> str:
    """``text`` with every control and bidirectional formatting character escaped except
    its line breaks (``\\n``)."""
    if _BUT_NEWLINE.search(text) is None:
        return text
    return _BUT_NEWLINE.sub(_escape, text)


def plain_json(text: str) -> str:
    """JSON text (as ``json.dumps(..., ensure_ascii=False)`` writes it) with DEL, the C1
    controls and the bidirectional formatting characters written as ``\\uXXXX``: the
    same data, nothing a terminal acts on (``json`` already escapes the C0 controls)."""
    if _JSON_RAW.search(text) is None:
        return text
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def describe_char(char: str) -> str:
    """``U+FF4C FULLWIDTH LATIN SMALL LETTER L``; a control character as ``U+001B (a control
    character)``."""
    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    return f"{code} {name}" if name else f"{code} (a control character)"


def first_unsafe_in_identifier(text: str) -> int | None:
    """The index of the first character of ``text`` that is not printable ASCII (None if
    every one is)."""
    if text.isascii() and text.isprintable():
        return None
    for i, char in enumerate(text):
        if not (char.isascii() and char.isprintable()):
            return i
    return None  # pragma: no cover - the test above says there is one
