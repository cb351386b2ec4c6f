"""Links between companies: who supplies whom, and who holds a stake in whom.

A ``supplies`` link runs from a supplier to a customer and names the supplier's layer
the sale is in (SK hynix -> Nvidia in ``hbm``), with the share of the supplier's revenue
that the customer accounts for where it is reported. A ``stake`` link runs from an
investor to the company it invested in (Amazon -> Anthropic): it is not revenue and no
exposure figure counts it. Labs' compute lanes are ``supplies`` links from the cloud or
siting company to the lab.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from thesis_lib.models._base import Model
from thesis_lib.models.chain import LayerId
from thesis_lib.models.company import (
    REPORTING_LAG,
    Ticker,
    Url,
    check_known_from,
    period_known_on,
)

LinkKind = Literal["supplies", "stake"]


def usd(amount: float) -> str:
    """``$8.0bn``, ``$350m``, ``$6.7m``: a dollar amount for a line of text."""
    if amount >= 1e9:
        return f"${amount / 1e9:,.1f}bn"
    if amount >= 1e7:
        return f"${amount / 1e6:,.0f}m"
    return f"${amount / 1e6:,.1f}m"


class Link(Model):
    """A dated, sourced link from ``supplier`` to ``customer``.

    For a ``stake``, ``supplier`` is the investor and ``customer`` the investee, and
    ``layer`` the investee's layer. ``revenue_share`` (supplies only) is the share of the
    supplier's total revenue from this customer, where reported; ``amount_usd`` a stake's
    size or a contract's value. ``as_of`` is the date (the period end) the figure refers
    to and ``known_from`` the date it became public, where known; unstated, it is
    ``as_of +`` :data:`~thesis_lib.models.REPORTING_LAG` (:meth:`known_on`). Several
    links with the same :attr:`key` and different ``as_of`` are the history of one link;
    the latest is the current one (:attr:`thesis_lib.Universe.current_links`).
    """

    supplier: Ticker
    customer: Ticker
    layer: LayerId
    kind: LinkKind = "supplies"
    revenue_share: float | None = Field(default=None, ge=0.0, le=1.0)
    amount_usd: float | None = Field(default=None, ge=0.0)
    since: dt.date | None = None
    as_of: dt.date
    known_from: dt.date | None = None
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    source: str = Field(min_length=1)
    url: Url | None = None
    note: str | None = None

    @field_validator("revenue_share", "amount_usd", "confidence")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and value != value:
            raise PydanticCustomError("nan", "must be a number, not NaN", {"hint": "leave it out"})
        return value

    @model_validator(mode="after")
    def _check(self) -> Link:
        if self.supplier == self.customer:
            raise PydanticCustomError(
                "self_link", "a company cannot link to itself",
                {"field": "customer", "hint": "name the other company"},
            )
        if self.kind == "stake" and self.revenue_share is not None:
            raise PydanticCustomError(
                "stake_revenue", "a stake is not revenue: revenue_share does not apply",
                {"field": "revenue_share", "hint": "give the stake's size as amount_usd"},
            )
        check_known_from(self.known_from, self.as_of,
                         "a figure for a period cannot be public before the period ends")
        return self

    def known_on(self, lag: dt.timedelta = REPORTING_LAG) -> dt.date:
        """The date this link's figure is known from: ``known_from``, else ``as_of + lag``."""
        return period_known_on(self.known_from, self.as_of, lag)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """(supplier, customer, layer, kind): what makes a link unique in a universe."""
        return (self.supplier, self.customer, self.layer, self.kind)

    def describe(self) -> str:
        """One line: ``000660.KS -> NVDA (hbm, 30% of supplier revenue)``."""
        extras = [self.layer if self.kind == "supplies" else f"stake in {self.layer}"]
        if self.revenue_share is not None:
            extras.append(f"{self.revenue_share:.0%} of supplier revenue")
        if self.amount_usd is not None:
            extras.append(usd(self.amount_usd))
        return f"{self.supplier} -> {self.customer} ({', '.join(extras)})"

    def _repr_html_(self) -> str:
        from thesis_lib._html import links_html

        return links_html([self])


class Links(tuple[Link, ...]):
    """A tuple of links that displays as a table in a notebook (what
    :meth:`Universe.links_of`, :meth:`~Universe.suppliers`, :meth:`~Universe.customers`
    and :meth:`~Universe.stakes` return); otherwise a plain tuple."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        from thesis_lib._html import links_html

        return links_html(self, caption=f"{len(self)} link(s)")


def walk(
    links: tuple[Link, ...],
    ticker: str,
    *,
    down: bool,
    depth: int = 1,
    kinds: tuple[str, ...] = ("supplies",),
) -> tuple[tuple[int, Link], ...]:
    """Links reached from ``ticker`` within ``depth`` steps, as ``(step, link)`` pairs.

    ``down=True`` follows links to suppliers (and investors, for stakes), ``down=False``
    to customers (and investees). Breadth first; each link appears once, at the first
    step it is reached.
    """
    out: list[tuple[int, Link]] = []
    seen: set[tuple[str, str, str, str]] = set()
    frontier = {ticker}
    visited = {ticker}
    for step in range(1, depth + 1):
        nxt: set[str] = set()
        for link in links:
            if link.kind not in kinds or link.key in seen:
                continue
            here, there = (link.customer, link.supplier) if down else \
                (link.supplier, link.customer)
            if here in frontier:
                seen.add(link.key)
                out.append((step, link))
                if there not in visited:
                    nxt.add(there)
        visited |= nxt
        frontier = nxt
        if not frontier:
            break
    return tuple(out)
