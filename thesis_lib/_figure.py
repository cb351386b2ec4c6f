"""The figure class the plot functions build: a matplotlib Figure that shows itself.

Imported only by :mod:`thesis_lib.plots` when a plot is drawn (it imports matplotlib).
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure

PNG_DPI = 100
"""Resolution of the PNG a notebook shows (``savefig`` keeps its own default)."""


class ThesisFigure(Figure):
    """A :class:`matplotlib.figure.Figure` with a PNG representation, so a notebook
    displays it as an image by itself: no pyplot, no ``%matplotlib inline``, and the
    user's backend and global state left alone. Everything else is a plain Figure."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=PNG_DPI)
        return buffer.getvalue()
