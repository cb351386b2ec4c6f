"""Dated claims from sources that bear on supply-chain layers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from thesis_lib.models._base import Model
from thesis_lib.models.chain import LayerId


class Evidence(Model):
    """A dated claim from a source that supports or undermines value capture in layers.

    Example: "TSMC 2nm is fully allocated through 2028" supports the foundry layer.
    ``strength`` (0..1) says how direct and strong the claim is.
    """

    item_label = ("evidence", "id")

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-_]*$", max_length=80)]
    claim: str = Field(min_length=1)
    layers: tuple[LayerId, ...] = Field(min_length=1)
    direction: Literal["supports", "undermines"]
    strength: float = Field(default=0.5, ge=0.0, le=1.0)
    source: str = Field(min_length=1)
    date: dt.date
    note: str | None = None

    @property
    def signed_strength(self) -> float:
        """``strength`` with a minus sign when the claim undermines its layers."""
        return self.strength if self.direction == "supports" else -self.strength
