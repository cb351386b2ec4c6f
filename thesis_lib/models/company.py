"""Companies, their revenue exposure to supply-chain layers, forward figures and financials.

One basis for every exposure (the data guide, ``docs/data-guide.md``, is the one
definition): ``share`` is the fraction of the company's total revenue in a stated period
that it earns selling one layer's product or service; ``ai_share`` is the part of that
layer revenue driven by AI / data-centre compute demand. Forward-looking figures
(contracted, guided, pre-revenue) are :class:`Forward` records and never folded into
today's share; stakes in other companies are links (:class:`~thesis_lib.models.Link`),
not revenue.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from thesis_lib._limits import FIGURE_LIMIT
from thesis_lib.models._base import Model
from thesis_lib.models.chain import LayerId

SHARE_TOLERANCE = 1e-3
"""How far a company's revenue shares may add up past 1.0 before it is an error (rounding)."""

REPORTING_LAG = dt.timedelta(days=90)
"""How long after the end of a period its figures are taken to become public when a figure
does not say (``known_from``): 90 days. A US annual report (10-K) is due 60 to 90 days
after the fiscal year end (60 for the largest filers, 90 for the smallest), and most
companies publish their results within that window, so ``as_of + REPORTING_LAG`` is the
latest usual date a period's figure is public. Used for exposures, financials and links
(whose ``as_of`` is a period end); a forward figure's ``as_of`` is the date of its
document and an evidence claim's ``date`` the date it was made, so those are known from
that date. A point-in-time screen (:meth:`thesis_lib.Universe.known_at`) uses it; pass
``lag=`` there to use another."""

Ticker = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-=^_&]*$", min_length=1, max_length=32),
]
"""A market-data symbol such as ``MU``, ``000660.KS`` or ``SU.PA`` (an id for private firms)."""


def _check_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise PydanticCustomError(
            "url", "must be a web address starting with https:// or http://",
            {"hint": "give the public address of the document, or leave the field out"},
        )
    return value


Url = Annotated[str, StringConstraints(min_length=8, max_length=2_000), AfterValidator(_check_url)]
"""The public web address of a source document."""

Basis = Literal["reported", "derived", "estimate"]
"""How an exposure figure was obtained: reported as such by the company, derived from
reported figures by stated arithmetic, or estimated (by a third party or by us)."""


def check_known_from(known_from: dt.date | None, as_of: dt.date, what: str) -> None:
    """The shared check of ``known_from``: a figure cannot be public before ``as_of``."""
    if known_from is not None and known_from < as_of:
        raise PydanticCustomError(
            "known_from",
            "known_from ({known_from}) is before as_of ({as_of}): {what}",
            {"known_from": str(known_from), "as_of": str(as_of), "what": what,
             "field": "known_from",
             "hint": "known_from is the date the figure became public, on or after as_of; "
                     "leave it out to use as_of + the reporting lag"},
        )


def period_known_on(known_from: dt.date | None, as_of: dt.date,
                    lag: dt.timedelta = REPORTING_LAG) -> dt.date:
    """The date a figure for the period ending ``as_of`` is known from: ``known_from``
    where given, else ``as_of + lag`` (:data:`REPORTING_LAG`). The one rule for
    exposures, financials and links."""
    if known_from is not None:
        return known_from
    return as_of + lag


def _not_nan(value: float | None) -> float | None:
    if value is not None and value != value:  # NaN
        raise PydanticCustomError("nan", "must be a number, not NaN", {"hint": "write 0.0"})
    return value


class Exposure(Model):
    """The share of a company's revenue earned in one layer, for a stated period.

    - ``share``: revenue from the layer's product or service / total revenue (0..1);
    - ``ai_share``: the part of that layer revenue driven by AI / data-centre compute
      demand (0..1). Optional for files written before it existed: unstated counts as
      1.0 (:attr:`ai_fraction`), i.e. the whole layer revenue;
    - ``confidence``: how sure the figure is (0..1);
    - ``basis``: ``reported``, ``derived`` or ``estimate``;
    - ``period`` (e.g. ``FY2025``) and ``as_of``, the period's end date;
    - ``estimated_on``: when the estimate was made (separate from the period);
    - ``known_from``: the date the figure became public, where known (on or after
      ``as_of``); unstated, it is ``as_of +`` :data:`REPORTING_LAG` (:meth:`known_on`);
    - ``source`` (a specific document) and ``url`` (where to check it).
    """

    layer: LayerId
    share: float = Field(ge=0.0, le=1.0)
    ai_share: float | None = Field(default=None, ge=0.0, le=1.0)
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    basis: Basis | None = None
    period: str | None = Field(default=None, min_length=1, max_length=80)
    as_of: dt.date
    estimated_on: dt.date | None = None
    known_from: dt.date | None = None
    source: str = Field(min_length=1)
    url: Url | None = None
    note: str | None = None

    @field_validator("share", "confidence", "ai_share")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        return _not_nan(value)

    @model_validator(mode="after")
    def _check_known(self) -> Exposure:
        check_known_from(self.known_from, self.as_of,
                         "a figure for a period cannot be public before the period ends")
        return self

    def known_on(self, lag: dt.timedelta = REPORTING_LAG) -> dt.date:
        """The date this figure is known from: ``known_from``, else ``as_of + lag``."""
        return period_known_on(self.known_from, self.as_of, lag)

    @property
    def ai_fraction(self) -> float:
        """``ai_share``, or 1.0 when the file did not state it."""
        return 1.0 if self.ai_share is None else self.ai_share

    @property
    def ai_exposure(self) -> float:
        """AI-driven revenue from this layer as a share of total revenue: share x ai_share."""
        return self.share * self.ai_fraction


ForwardKind = Literal["contracted", "guided", "pre-revenue", "pipeline"]


class Forward(Model):
    """A dated forward-looking figure for one layer, kept apart from today's share.

    ``kind`` says how firm it is (``contracted`` > ``guided`` > ``pipeline``;
    ``pre-revenue`` for a business with no sales yet). ``share`` is the expected share
    of revenue once in force, ``amount_usd`` an annual revenue or contract value (the
    note says which), ``capacity_mw`` the contracted capacity where no price is public
    (a PPA's megawatts, a GPU deal's gigawatts); at least one of the three is given.
    ``starts`` is when the revenue starts and ``horizon`` the date the figure applies
    by; ``as_of`` is the date of the document. Only ``share`` feeds the screening
    frame's ``forward_exposure_<layer>``. ``known_from`` is the date the figure became
    public where that is later than the document's date; unstated, the figure is known
    from ``as_of`` (:meth:`known_on`).
    """

    layer: LayerId
    kind: ForwardKind
    share: float | None = Field(default=None, ge=0.0, le=1.0)
    ai_share: float = Field(default=1.0, ge=0.0, le=1.0)
    amount_usd: float | None = Field(default=None, ge=0.0, le=FIGURE_LIMIT)
    capacity_mw: float | None = Field(default=None, gt=0.0, allow_inf_nan=False)
    starts: dt.date | None = None
    horizon: dt.date
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    as_of: dt.date
    known_from: dt.date | None = None
    source: str = Field(min_length=1)
    url: Url | None = None
    note: str | None = None

    @field_validator("share", "confidence", "ai_share", "amount_usd", "capacity_mw")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        return _not_nan(value)

    @model_validator(mode="after")
    def _check(self) -> Forward:
        if self.share is None and self.amount_usd is None and self.capacity_mw is None:
            raise PydanticCustomError(
                "forward_empty", "a forward figure needs a share, an amount_usd or a capacity_mw",
                {"field": "share",
                 "hint": "give the expected share of revenue, the amount, or the capacity"},
            )
        if self.starts is not None and self.starts > self.horizon:
            raise PydanticCustomError(
                "forward_dates", "starts ({starts}) is after horizon ({horizon})",
                {"starts": str(self.starts), "horizon": str(self.horizon), "field": "starts",
                 "hint": "horizon is the date the figure applies by; it cannot precede starts"},
            )
        check_known_from(self.known_from, self.as_of,
                         "a document's figure cannot be public before the document's date")
        return self

    def known_on(self, lag: dt.timedelta = REPORTING_LAG) -> dt.date:
        """The date this figure is known from: ``known_from``, else ``as_of`` (the
        document's date). ``lag`` does not apply (it is accepted so that every dated
        figure answers the same call)."""
        del lag
        return self.as_of if self.known_from is None else self.known_from

    @property
    def ai_exposure(self) -> float:
        """Expected AI-driven share of revenue (0 when only an amount is known)."""
        return (self.share or 0.0) * self.ai_share


class Financials(Model):
    """A company's total revenue in US dollars for a stated period, with its source.

    ``basis`` is ``reported`` (reported in USD), ``converted`` (from the reporting
    currency at the rate given in ``note``), ``derived`` (summed from reported quarters,
    say which in ``note``) or ``estimate`` (private companies, or a period not yet
    reported). A pre-revenue company reports 0. Dollar figures (``revenue_usd`` here,
    :attr:`Forward.amount_usd`) are finite and at most 1e15
    (:data:`thesis_lib._limits.FIGURE_LIMIT`). ``as_of`` is the period's end date and
    ``known_from`` the date the figure became public, where known; unstated, it is
    ``as_of +`` :data:`REPORTING_LAG` (:meth:`known_on`).
    """

    revenue_usd: float = Field(ge=0.0, le=FIGURE_LIMIT)
    period: str = Field(min_length=1, max_length=80)
    as_of: dt.date
    basis: Literal["reported", "converted", "derived", "estimate"]
    estimated_on: dt.date | None = None
    known_from: dt.date | None = None
    source: str = Field(min_length=1)
    url: Url | None = None
    note: str | None = None

    @field_validator("revenue_usd")
    @classmethod
    def _finite(cls, value: float) -> float:
        if value != value or value == float("inf"):
            raise PydanticCustomError("not_finite", "must be a finite number",
                                      {"hint": "write the revenue in US dollars, e.g. 68.3e9"})
        return value

    @model_validator(mode="after")
    def _check_known(self) -> Financials:
        check_known_from(self.known_from, self.as_of,
                         "a figure for a period cannot be public before the period ends")
        return self

    def known_on(self, lag: dt.timedelta = REPORTING_LAG) -> dt.date:
        """The date this figure is known from: ``known_from``, else ``as_of + lag``."""
        return period_known_on(self.known_from, self.as_of, lag)


class Company(Model):
    """A company, listed or private, with its exposures to supply-chain layers.

    ``ticker`` is the market-data symbol for listed companies (e.g. ``000660.KS``) and
    a plain id for private ones (e.g. ``SPACEX``); private companies never get prices.
    Revenue shares add up to at most 1 (with :data:`SHARE_TOLERANCE`), and a layer
    appears at most once among the exposures. ``financials`` (optional) gives revenue
    in USD for dollar materiality; ``forward`` holds dated forward-looking figures.

    ``exposures`` and ``financials`` are the current figures. ``exposure_history`` and
    ``financials_history`` hold earlier periods and superseded (revised) versions, for a
    screen as of a past date (:meth:`thesis_lib.Universe.known_at`); a layer may appear
    in the history many times, but never twice for the same period and known date
    (:meth:`Exposure.known_on`). The shares of one period add up to at most 1 as known
    on every date: for each period end and each date one of its figures became known,
    the latest version known by then of each layer's figure for that period.
    """

    item_label = ("company", "ticker")

    ticker: Ticker
    name: str = Field(min_length=1)
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
    listed: StrictBool = True
    note: str | None = None
    financials: Financials | None = None
    exposures: tuple[Exposure, ...] = ()
    forward: tuple[Forward, ...] = ()
    exposure_history: tuple[Exposure, ...] = ()
    financials_history: tuple[Financials, ...] = ()

    @model_validator(mode="after")
    def _check_history(self) -> Company:
        seen: set[tuple[str, dt.date, dt.date]] = {
            (e.layer, e.as_of, e.known_on()) for e in self.exposures}
        for i, exposure in enumerate(self.exposure_history):
            key = (exposure.layer, exposure.as_of, exposure.known_on())
            if key in seen:
                raise PydanticCustomError(
                    "duplicate_history",
                    "layer '{layer}' has two figures for the period ending {as_of} known "
                    "on {known}",
                    {"layer": exposure.layer, "as_of": str(exposure.as_of),
                     "known": str(key[2]), "field": f"exposure_history[{i}]",
                     "hint": "keep one of them, or give the revision its own known_from"},
                )
            seen.add(key)
        money: set[tuple[dt.date, dt.date]] = set()
        if self.financials is not None:
            money.add((self.financials.as_of, self.financials.known_on()))
        for i, fin in enumerate(self.financials_history):
            pair = (fin.as_of, fin.known_on())
            if pair in money:
                raise PydanticCustomError(
                    "duplicate_history",
                    "two financials for the period ending {as_of} known on {known}",
                    {"as_of": str(fin.as_of), "known": str(pair[1]),
                     "field": f"financials_history[{i}]",
                     "hint": "keep one of them, or give the revision its own known_from"},
                )
            money.add(pair)
        if self.exposure_history:
            self._check_period_sums()
        return self

    def _check_period_sums(self) -> None:
        """Each period's shares add up to at most 1 on every date one of them became known."""
        by_period: dict[dt.date, list[tuple[int, Exposure]]] = {}
        for i, exposure in enumerate((*self.exposures, *self.exposure_history)):
            by_period.setdefault(exposure.as_of, []).append((i, exposure))
        current = len(self.exposures)
        for as_of, figures in sorted(by_period.items()):
            for when in sorted({e.known_on() for _, e in figures}):
                latest: dict[str, tuple[dt.date, int, Exposure]] = {}
                for i, e in figures:
                    known = e.known_on()
                    if known <= when and (e.layer not in latest
                                          or known > latest[e.layer][0]):
                        latest[e.layer] = (known, i, e)
                total = math.fsum(e.share for _, _, e in latest.values())
                if total > 1.0 + SHARE_TOLERANCE:
                    last = max(i for _, i, _ in latest.values())
                    field = (f"exposures[{last}].share" if last < current
                             else f"exposure_history[{last - current}].share")
                    raise PydanticCustomError(
                        "share_sum",
                        "revenue shares for the period ending {as_of}, as known on {when}, "
                        "add up to {total}, more than 1",
                        {"as_of": str(as_of), "when": str(when), "total": round(total, 6),
                         "field": field,
                         "hint": "shares are fractions of total revenue in one period; "
                                 "lower them so they sum to <= 1"},
                    )

    @model_validator(mode="after")
    def _check_exposures(self) -> Company:
        seen: set[str] = set()
        for i, exposure in enumerate(self.exposures):
            if exposure.layer in seen:
                raise PydanticCustomError(
                    "duplicate_layer",
                    "layer '{layer}' appears twice",
                    {
                        "layer": exposure.layer,
                        "field": f"exposures[{i}].layer",
                        "hint": "merge the two exposures into one",
                    },
                )
            seen.add(exposure.layer)
        total = self.total_share
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
        """Sum of the revenue shares across layers (exactly rounded with :func:`math.fsum`,
        so the order the exposures are declared in does not change a bit)."""
        return math.fsum(e.share for e in self.exposures)

    def exposure(self, layer_id: str) -> Exposure | None:
        """The exposure to ``layer_id``, or None."""
        for exposure in self.exposures:
            if exposure.layer == layer_id:
                return exposure
        return None

    def share(self, layer_id: str) -> float:
        """Revenue share from ``layer_id`` (0.0 if the company has no exposure to it)."""
        exposure = self.exposure(layer_id)
        return 0.0 if exposure is None else exposure.share

    def ai_share(self, layer_id: str) -> float:
        """AI-driven revenue from ``layer_id`` as a share of total revenue (share x ai_share)."""
        exposure = self.exposure(layer_id)
        return 0.0 if exposure is None else exposure.ai_exposure

    @property
    def revenue_usd(self) -> float | None:
        """Total revenue in USD from :attr:`financials`, or None."""
        return None if self.financials is None else self.financials.revenue_usd

    @property
    def primary_layer(self) -> str | None:
        """The layer with the largest revenue share; equal shares go to the smallest layer
        id. A company alone does not know its chain: in a universe (the screening frame,
        ``thesis layers``) ties go by the chain's layer order, see :meth:`primary_layer_in`.
        Never depends on the order the exposures are declared in."""
        return self.primary_layer_in(())

    def primary_layer_in(self, order: Sequence[str]) -> str | None:
        """The layer with the largest revenue share, equal shares broken by ``order`` (the
        chain's layer ids: the first listed wins), then by layer id; None without
        exposures. Never depends on the order the exposures are declared in."""
        if not self.exposures:
            return None
        best = max(e.share for e in self.exposures)
        tied = [e.layer for e in self.exposures if e.share == best]
        if len(tied) == 1:
            return tied[0]
        position = {layer: i for i, layer in enumerate(order)}
        return min(tied, key=lambda layer: (position.get(layer, len(position)), layer))
