"""Reading a watchlist file: :func:`parse_watchlist` and :func:`load_watchlist`, with every
error located where the user wrote it (the alert by id, the ``[basket]`` table)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from thesis_lib._files import display_path
from thesis_lib._suggest import did_you_mean
from thesis_lib.errors import DataError, Problem, ThesisError
from thesis_lib.watch.model import (
    _ALERT_TYPES,
    ALERT_KINDS,
    BASKET_ITEM,
    Watchlist,
    _alert_item,
)

__all__ = ["load_watchlist", "parse_watchlist"]


"""How problems with a watchlist's ``[basket]`` table name it."""

_ALERT_FIELD = re.compile(r"^alerts\[(\d+)\](?:\.(?:" + "|".join(ALERT_KINDS) + r"))?\.?(.*)$")


_SHARE_HINT = "shares and confidences"
_FIELD_HINTS = {
    "top": "how many names to track: a whole number from 1 to 1000",
    "keep": "how many snapshots to keep: a whole number, 1 or more (default 100)",
    "n": "a whole number of names, 1 or more (default: the watchlist's top)",
    "min_change": "a whole number of places, 1 or more",
    "threshold": "a score, e.g. 5.0",
}


def _relocate(problem: Problem, data: Mapping[str, Any],
              indices: Sequence[int] | None = None) -> Problem:
    """Turn ``alerts[2].score_crosses.threshold`` into item ``alert 'x'``, field ``threshold``.

    ``indices`` maps positions in a filtered alert list back to the file's positions.
    """
    hint = problem.hint
    if hint and hint.startswith(_SHARE_HINT):  # the generic hint is about universe files
        hint = None
    if problem.field == "basket" or (problem.field or "").startswith("basket."):
        field = (problem.field or "")[len("basket."):] or None
        message = problem.message
        if field is None and "valid dictionary" in message:
            message = "'basket' must be a table"
            hint = "write it as a [basket] table (see thesis_lib.basket.BasketRules)"
        return Problem(message, file=problem.file, item=BASKET_ITEM, field=field,
                       position=problem.position, hint=hint)
    match = _ALERT_FIELD.match(problem.field or "")
    if hint is None:
        last = (match.group(2) if match else problem.field) or ""
        hint = _FIELD_HINTS.get(last)
    if not match:
        return Problem(problem.message, file=problem.file, item=problem.item,
                       field=problem.field, position=problem.position, hint=hint)
    index = int(match.group(1))
    if indices is not None and index < len(indices):
        index = indices[index]
    alerts = data.get("alerts")
    raw = alerts[index] if isinstance(alerts, list) and index < len(alerts) else None
    item = _alert_item(index, raw.get("id") if isinstance(raw, Mapping) else None)
    return Problem(problem.message, file=problem.file, item=item,
                   field=match.group(2) or None, position=problem.position, hint=hint)


def _kind_problems(data: Mapping[str, Any], file: str | None) -> list[Problem]:
    """Clear messages for alerts without a known ``kind`` (pydantic's are cryptic)."""
    alerts = data.get("alerts", [])
    if not isinstance(alerts, list):
        return [Problem("'alerts' must be a list of tables", file=file, field="alerts",
                        hint="write each alert as an [[alerts]] table")]
    problems: list[Problem] = []
    for i, raw in enumerate(alerts):
        if not isinstance(raw, Mapping):
            problems.append(Problem("each alert must be a table", file=file,
                                    item=f"alert #{i + 1}", hint="write it as [[alerts]]"))
            continue
        kind = raw.get("kind")
        where = _alert_item(i, raw.get("id"))
        if kind is None:
            problems.append(Problem("required field is missing", file=file, item=where,
                                    field="kind", hint="one of " + ", ".join(ALERT_KINDS)))
        elif not isinstance(kind, str):
            problems.append(Problem(
                f"'kind' must be a string, not {_toml_type(kind)}", file=file, item=where,
                field="kind", hint='write one of ' + ", ".join(ALERT_KINDS)
                + ' in quotes, e.g. kind = "enters_top"'))
        elif kind not in _ALERT_TYPES:
            problems.append(Problem(
                f"unknown alert kind {kind!r}", file=file, item=where, field="kind",
                hint=did_you_mean(str(kind), ALERT_KINDS, what="kinds")))
    return problems


def _toml_type(value: object) -> str:
    """How a TOML user would call the type of ``value``."""
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__}"


def _known_kind(alert: object) -> bool:
    kind = alert.get("kind") if isinstance(alert, Mapping) else None
    return isinstance(kind, str) and kind in _ALERT_TYPES


def _default_id(path: Path) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.\-]+", "-", path.stem).strip("-._") or "watchlist"
    return slug[:64]


def parse_watchlist(data: Mapping[str, Any], *, file: str | Path | None = None) -> Watchlist:
    """Build a :class:`Watchlist` from parsed TOML, reporting every problem at once."""
    where = str(file) if file is not None else None
    raw = dict(data)
    if "id" not in raw and file is not None:
        raw["id"] = _default_id(Path(file))
    problems = _kind_problems(raw, where)
    if problems:
        # Validate the rest too, so one run lists everything; drop pydantic's kind noise.
        alerts = raw.get("alerts")
        indices = [i for i, a in enumerate(alerts) if _known_kind(a)] \
            if isinstance(alerts, list) else []
        keep = [alerts[i] for i in indices] if isinstance(alerts, list) else []
        try:
            Watchlist.parse({**raw, "alerts": keep}, file=where)
        except ThesisError as exc:
            problems += [_relocate(p, raw, indices) for p in exc.problems
                         if p.field != "alerts"]
        raise DataError(problems)
    try:
        watchlist: Watchlist = Watchlist.parse(raw, file=where)
    except ThesisError as exc:
        raise DataError([_relocate(p, raw) for p in exc.problems]) from None
    if file is not None:
        watchlist._file = Path(file)
    return watchlist


def load_watchlist(path: str | Path) -> Watchlist:
    """Read a watchlist TOML file (see :mod:`thesis_lib.watch` for the format).

    Raises :class:`~thesis_lib.errors.DataError` listing every problem in the file.
    Whether the universe, pack, tickers and gates it names exist is checked when it
    runs, or all at once by :func:`watchlist_problems`.
    """
    from thesis_lib.loading import read_toml

    file = Path(path)
    data = read_toml(file)
    if not data:
        raise DataError("the watchlist file is empty", file=display_path(file),
                        hint='say what to watch, e.g. top = 10, universe = ..., pack = ... and '
                             '[[alerts]] tables; see thesis_lib.watch for the format')
    return parse_watchlist(data, file=file)


