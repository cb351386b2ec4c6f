"""Companies and their revenue exposure to supply-chain layers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from thesis_lib.models._base import Model
from thesis_lib.models.chain import LayerId

SHARE_TOLERANCE = 1e-3
"""How far a company's revenue shares may add up past 1.0 before it is an error (rounding)."""

Ticker = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-=^_&]*$", min_length=1, max_length=32),
]
"""A market-data symbol such as ``MU``, ``000660.KS`` or ``SU.PA`` (an id for private firms)."""


class Exposure(Model):
    """An estimated share of a company's revenue that comes from one layer.

    ``share`` and ``confidence`` are fractions in [0, 1]; ``source`` says where the
    figure comes from and ``as_of`` the date it refers to.
    """

    layer: LayerId
    share: float = Field(ge=0.0, le=1.0)
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    source: str = Field(min_length=1)
    as_of: dt.date
    note: str | None = None

    @field_validator("share", "confidence")
    @classmethod
    def _finite(cls, value: float) -> float:
        if value != value:  # NaN
            raise PydanticCustomError("nan", "must be a number, not NaN", {"hint": "write 0.0"})
        return value


class Company(Model):
    """A company, listed or private, with its exposures to supply-chain layers.

    ``ticker`` is the market-data symbol for listed companies (e.g. ``000660.KS``) and
    a plain id for private ones (e.g. ``SPACEX``); private companies never get prices.
    Revenue shares add up to at most 1 (with :data:`SHARE_TOLERANCE`), and a layer
    appears at most once.
    """

    item_label = ("company", "ticker")

    ticker: Ticker
    name: str = Field(min_length=1)
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
    listed: bool = True
    note: str | None = None
    exposures: tuple[Exposure, ...] = ()

    @model_validator(mode="after")
    def _check_exposures(self) -> Company:
        seen: set[str] = set()
        for i, exposure in enumerate(self.exposures):
            if exposure.layer in seen:
                raise PydanticCustomError(
                    "duplicate_layer",
                    "layer {layer!r} appears twice",
                    {
                        "layer": exposure.layer,
                        "field": f"exposures[{i}].layer",
                        "hint": "merge the two exposures into one",
                    },
                )
            seen.add(exposure.layer)
        total = sum(e.share for e in self.exposures)
        if total > 1.0 + SHARE_TOLERANCE:
            raise PydanticCustomError(
                "share_sum",
                "revenue shares add up to {total}, more than 1",
                {
                    "total": round(total, 6),
                    "field": "exposures.share",
                    "hint": "shares are fractions of total revenue; lower them so they sum to <= 1",
                },
            )
        return self

    @property
    def total_share(self) -> float:
        """Sum of the revenue shares across layers."""
        return float(sum(e.share for e in self.exposures))

    def share(self, layer_id: str) -> float:
        """Revenue share from ``layer_id`` (0.0 if the company has no exposure to it)."""
        for exposure in self.exposures:
            if exposure.layer == layer_id:
                return exposure.share
        return 0.0

    @property
    def primary_layer(self) -> str | None:
        """The layer with the largest revenue share (first declared wins ties)."""
        if not self.exposures:
            return None
        return max(self.exposures, key=lambda e: e.share).layer
