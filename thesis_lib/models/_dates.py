"""Reading a date given by a caller: a ``datetime.date`` or an ISO string."""

from __future__ import annotations

import datetime as dt

from thesis_lib.errors import DataError, ThesisError


def parse_date(
    value: object,
    *,
    field: str,
    item: str | None = None,
    error: type[ThesisError] = DataError,
) -> dt.date:
    """``value`` as a date: a :class:`datetime.date`, a datetime (its date, e.g. a pandas
    ``Timestamp``) or an ISO string such as ``"2026-06-30"``. Anything else raises
    ``error`` naming ``field`` (and ``item``)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise error(f"not a date: {value!r}", item=item, field=field,
                        hint="write a date such as 2026-06-30") from None
    raise error(f"expected a date, got {type(value).__name__} {value!r}", item=item,
                field=field, hint="pass a datetime.date or a string such as '2026-06-30'")
