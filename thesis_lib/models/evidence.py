"""Dated claims from sources that bear on supply-chain layers and companies.

Support adds up: a layer's (or a company's) support is the sum of the signed strengths
of the claims that bear on it, each weighted by its recency (:func:`recency_weight`,
a half-life of :data:`HALF_LIFE_DAYS`). A claim that another claim in force
``supersedes`` counts for nothing; claims that ``conflict_with`` each other both count,
and both are kept. Adding a supporting claim that supersedes nothing never lowers any
support.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from thesis_lib.models._base import Model
from thesis_lib.models.chain import LayerId
from thesis_lib.models.company import Ticker, Url

HALF_LIFE_DAYS = 365.0
"""A claim's weight halves for every this many days between its date and the as-of date."""

EvidenceId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-_]*$", max_length=80)]


def recency_weight(date: dt.date, as_of: dt.date, half_life_days: float = HALF_LIFE_DAYS) -> float:
    """``0.5 ** (age / half_life)`` for a claim dated ``date`` seen at ``as_of``.

    A claim dated after ``as_of`` was not known then and weighs 0.
    """
    age = (as_of - date).days
    if age < 0:
        return 0.0
    return float(0.5 ** (age / half_life_days))


class Evidence(Model):
    """A dated claim from a source that supports or undermines value capture.

    Example: "TSMC 2nm is fully allocated through 2028" supports the foundry layer and
    TSMC. ``layers`` and ``companies`` (tickers) say what it bears on (at least one of
    them); ``direction`` is ``supports``, ``undermines`` or ``neutral`` (a plain fact,
    e.g. a deal, kept for the record and weighing 0); ``strength`` (0..1) how direct and
    strong the claim is. ``conflicts_with`` names claims that contradict it (both are
    kept), ``supersedes`` claims it replaces.
    """

    item_label = ("evidence", "id")

    id: EvidenceId
    claim: str = Field(min_length=1)
    layers: tuple[LayerId, ...] = ()
    companies: tuple[Ticker, ...] = ()
    direction: Literal["supports", "undermines", "neutral"]
    strength: float = Field(default=0.5, ge=0.0, le=1.0)
    source: str = Field(min_length=1)
    url: Url | None = None
    date: dt.date
    conflicts_with: tuple[EvidenceId, ...] = ()
    supersedes: tuple[EvidenceId, ...] = ()
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Evidence:
        if not self.layers and not self.companies:
            raise PydanticCustomError(
                "evidence_target", "a claim must bear on at least one layer or company",
                {"field": "layers", "hint": "list the layers (or companies) it bears on"},
            )
        for name in ("conflicts_with", "supersedes"):
            if self.id in getattr(self, name):
                raise PydanticCustomError(
                    "evidence_self", "a claim cannot refer to itself",
                    {"field": name, "hint": f"remove {self.id!r} from {name}"},
                )
        return self

    def known_on(self, lag: dt.timedelta | None = None) -> dt.date:
        """The date this claim is known from: its ``date`` (``lag`` does not apply; it is
        accepted so that every dated figure answers the same call)."""
        del lag
        return self.date

    @property
    def signed_strength(self) -> float:
        """``strength``, negative when the claim undermines, 0 when it is neutral."""
        if self.direction == "neutral":
            return 0.0
        return self.strength if self.direction == "supports" else -self.strength


def claim_weights(
    evidence: tuple[Evidence, ...],
    as_of: dt.date | None = None,
    *,
    half_life_days: float = HALF_LIFE_DAYS,
) -> dict[str, float]:
    """Each claim's weight at ``as_of``: its recency weight, or 0 if not counted.

    A claim counts when it is dated on or before ``as_of`` and no claim dated on or
    before ``as_of`` supersedes it. ``as_of`` defaults to the newest claim's date, so
    the same evidence always gives the same weights.
    """
    if not evidence:
        return {}
    when = as_of or max(ev.date for ev in evidence)
    known = {ev.id for ev in evidence if ev.date <= when}
    superseded = {old for ev in evidence if ev.id in known for old in ev.supersedes}
    return {
        ev.id: 0.0 if ev.id not in known or ev.id in superseded
        else recency_weight(ev.date, when, half_life_days)
        for ev in evidence
    }


def support(
    evidence: tuple[Evidence, ...],
    as_of: dt.date | None = None,
    *,
    half_life_days: float = HALF_LIFE_DAYS,
) -> tuple[dict[str, float], dict[str, float]]:
    """Net support by layer and by company: sums of weighted signed strengths.

    Returns ``(by_layer, by_company)``; ids that no claim bears on are absent (0). Each
    sum is exactly rounded (:func:`math.fsum`), so the order the claims come in never
    changes a bit of it.
    """
    weights = claim_weights(evidence, as_of, half_life_days=half_life_days)
    layer_terms: dict[str, list[float]] = {}
    company_terms: dict[str, list[float]] = {}
    for ev in evidence:
        amount = weights[ev.id] * ev.signed_strength
        if amount == 0.0:
            continue
        for layer in ev.layers:
            layer_terms.setdefault(layer, []).append(amount)
        for ticker in ev.companies:
            company_terms.setdefault(ticker, []).append(amount)
    return ({layer: math.fsum(terms) for layer, terms in layer_terms.items()},
            {ticker: math.fsum(terms) for ticker, terms in company_terms.items()})
