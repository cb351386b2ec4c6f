"""'Did you mean …?' suggestions shared by every error that names an unknown thing."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` candidates that look like ``word``, best first (case-insensitive)."""
    pool = list(dict.fromkeys(candidates))
    lowered = {c.lower(): c for c in pool}
    hits = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[h] for h in hits]


def did_you_mean(word: str, candidates: Iterable[str], *, what: str = "") -> str | None:
    """A hint such as ``did you mean 'hbm'?`` or, failing that, the list of valid names."""
    pool = sorted(dict.fromkeys(candidates))
    hits = close_matches(word, pool)
    if hits:
        return "did you mean " + " or ".join(repr(h) for h in hits) + "?"
    if pool and len(pool) <= 15:
        label = f"known {what}" if what else "expected one of"
        return f"{label}: " + ", ".join(pool)
    return None
