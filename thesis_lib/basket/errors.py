"""The error a basket raises (defined with the rest of the tree in :mod:`thesis_lib.errors`)."""

from __future__ import annotations

from thesis_lib.errors import BasketError

__all__ = ["BasketError"]
