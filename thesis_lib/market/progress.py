"""A tiny progress bar on stderr for long fetches (no dependency).

Shown only when the stream is a terminal and the ``CI`` environment variable is
not set, unless the caller forces it on or off.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from types import TracebackType
from typing import TextIO

__all__ = ["ProgressBar", "should_show"]


def should_show(
    flag: bool | None, stream: TextIO, environ: Mapping[str, str] | None = None
) -> bool:
    """``flag`` if given; otherwise whether ``stream`` is a terminal and ``CI`` is unset."""
    if flag is not None:
        return flag
    env = os.environ if environ is None else environ
    if env.get("CI", "").strip() not in ("", "0", "false", "False"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):
        return False


class ProgressBar:
    """``label [#####.....] 3/10 note`` redrawn in place; a no-op when not shown."""

    def __init__(
        self,
        total: int,
        *,
        label: str = "market data",
        stream: TextIO | None = None,
        enabled: bool | None = None,
        width: int = 24,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.label = label
        self.width = width
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = should_show(enabled, self.stream, environ)
        self._last_len = 0
        self._closed = False

    def advance(self, steps: int = 1, *, note: str = "") -> None:
        """Move ``steps`` forward and redraw."""
        self.done = min(self.total, self.done + steps)
        self._draw(note)

    def _draw(self, note: str) -> None:
        if not self.enabled or self._closed:
            return
        filled = round(self.width * self.done / self.total)
        bar = "#" * filled + "." * (self.width - filled)
        line = f"{self.label} [{bar}] {self.done}/{self.total}"
        if note:
            line += f" {note}"
        padding = " " * max(0, self._last_len - len(line))
        self._last_len = len(line)
        try:
            self.stream.write("\r" + line + padding)
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False

    def close(self) -> None:
        """Finish the line (once)."""
        if self._closed:
            return
        if self.enabled and self._last_len:
            try:
                self.stream.write("\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass
        self._closed = True

    def __enter__(self) -> ProgressBar:
        self._draw("")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
