"""A small TOML writer for thesis-lib's own documents (tomllib only reads).

It writes the subset the library needs: strings, numbers, booleans, dates, lists of
scalars, tables and arrays of tables. ``None`` values are left out.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {
    '"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r",
}


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Sequence):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _is_table_array(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) > 0
        and all(isinstance(v, Mapping) for v in value)
    )


def _emit(table: Mapping[str, Any], path: tuple[str, ...], lines: list[str]) -> None:
    scalars = [(k, v) for k, v in table.items() if v is not None
               and not isinstance(v, Mapping) and not _is_table_array(v)]
    for key, value in scalars:
        lines.append(f"{_key(key)} = {_scalar(value)}")
    for key, value in table.items():
        if isinstance(value, Mapping):
            sub = (*path, key)
            lines.append("")
            lines.append("[" + ".".join(_key(p) for p in sub) + "]")
            _emit(value, sub, lines)
    for key, value in table.items():
        if _is_table_array(value):
            sub = (*path, key)
            for item in value:
                lines.append("")
                lines.append("[[" + ".".join(_key(p) for p in sub) + "]]")
                _emit(item, sub, lines)


def dumps(document: Mapping[str, Any], *, header: str | None = None) -> str:
    """Serialise ``document`` as TOML text, optionally after a ``# header`` comment block."""
    lines: list[str] = []
    if header:
        lines += [f"# {line}".rstrip() for line in header.splitlines()]
        lines.append("")
    _emit(document, (), lines)
    return "\n".join(lines).strip("\n") + "\n"
