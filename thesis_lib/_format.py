"""Formatting numbers for messages and tables (no dependencies)."""

from __future__ import annotations

__all__ = ["pct"]


def pct(x: float) -> str:
    """``0.35`` -> ``'35%'``, ``0.125`` -> ``'12.5%'``."""
    text = f"{x * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"
