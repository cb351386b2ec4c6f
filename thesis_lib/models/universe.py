"""A universe: companies, the supply chain they sit in, their links and the evidence.

Checked together: unknown layers and tickers, duplicate tickers, links and evidence
ids, and claims that refer to unknown claims are errors naming the item and field.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from thesis_lib._suggest import did_you_mean
from thesis_lib.errors import DataError, Problem, ThesisError
from thesis_lib.models._base import Model
from thesis_lib.models._dates import parse_date
from thesis_lib.models.chain import SupplyChain
from thesis_lib.models.company import REPORTING_LAG, SHARE_TOLERANCE, Company, Exposure
from thesis_lib.models.evidence import HALF_LIFE_DAYS, Evidence, claim_weights, support
from thesis_lib.models.link import Link, Links, walk

if TYPE_CHECKING:
    import pandas as pd

BUILTIN_UNIVERSE_IDS: frozenset[str] = frozenset({"ai-compute-2026"})
"""The ids of the universes shipped in ``thesis_lib/data`` (the names
:data:`thesis_lib.loading.BUILTIN_UNIVERSES` loads them by)."""

DATA_DISCLAIMER = "Exposure figures are illustrative estimates, not investment advice."
"""What goes with the built-in data wherever it is shown: its figures are thesis-lib's
estimates, to be checked before anyone invests."""


class Universe(Model):
    """Companies plus the supply chain, company links and evidence, validated as a whole.

    Validation reports at once every unknown layer id (in exposures and their history,
    forward figures, links and evidence), every unknown ticker (in links and evidence),
    every duplicate ticker, link (same key, ``as_of`` and known date) and evidence id,
    and every claim referring to an unknown claim, each naming the company (or link, or
    evidence) and the field.
    """

    id: str = Field(default="custom", min_length=1)
    name: str = ""
    description: str = ""
    chain: SupplyChain
    companies: tuple[Company, ...] = ()
    links: tuple[Link, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    as_of: dt.date | None = None
    """The date the universe is taken at: claims are weighed by their age at this date
    and claims dated later are not counted. Unset, it is the newest claim's date (then a
    claim newer than all others moves the reference date for every other claim)."""

    @model_validator(mode="after")
    def _check_together(self) -> Universe:
        companies = [(c.ticker, _located_layers(c.exposures, c.forward, c.exposure_history))
                     for c in self.companies]
        problems = _company_problems(companies, set(self.chain.ids))
        tickers = {c.ticker for c in self.companies}
        problems += _link_problems(self.links, tickers, set(self.chain.ids))
        problems += _evidence_problems(self.evidence, tickers, set(self.chain.ids))
        if problems:
            raise DataError(problems)
        return self

    @classmethod
    def parse(cls, data: Mapping[str, Any], *, file: str | None = None) -> Any:
        """Validate ``data`` into a universe, reporting every problem in one pass: when some
        fields are wrong (a share of 1.4), the checks across companies, links and evidence
        (an unknown layer, a duplicate ticker) still run on everything that can be read."""
        try:
            return super().parse(data, file=file)
        except ThesisError as exc:
            found = list(exc.problems)
        extra = [p.located(file=file) for p in _raw_problems(data)]
        raise DataError(_merge(found, extra)) from None

    # -- lookups -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Company]:  # type: ignore[override]
        return iter(self.companies)

    def __len__(self) -> int:
        return len(self.companies)

    @property
    def tickers(self) -> tuple[str, ...]:
        """Tickers in declaration order."""
        return tuple(c.ticker for c in self.companies)

    def company(self, ticker: str) -> Company:
        """The company with this ticker; :class:`DataError` with close matches if unknown."""
        for company in self.companies:
            if company.ticker == ticker:
                return company
        names = {c.ticker for c in self.companies}
        raise DataError(
            f"unknown ticker {ticker!r}",
            item=f"universe {self.id!r}",
            hint=did_you_mean(ticker, names, what="tickers"),
        )

    def primary_layers(self) -> dict[str, str | None]:
        """Each company's primary layer, by ticker: the layer with its largest revenue
        share, equal shares going to the layer that comes first in the chain's order
        (then the smaller layer id); None without exposures. The same as the screening
        frame's ``primary_layer``, whatever order the exposures are declared in."""
        order = self.chain.ids
        return {c.ticker: c.primary_layer_in(order) for c in self.companies}

    def companies_in(self, layer_id: str, *, min_share: float = 0.0) -> tuple[Company, ...]:
        """Companies with a revenue share in ``layer_id`` above ``min_share``."""
        self.chain.layer(layer_id)
        return tuple(c for c in self.companies if c.share(layer_id) > min_share)

    def evidence_for(self, layer_id: str) -> tuple[Evidence, ...]:
        """Evidence that concerns ``layer_id``."""
        self.chain.layer(layer_id)
        return tuple(ev for ev in self.evidence if layer_id in ev.layers)

    def evidence_about(self, ticker: str) -> tuple[Evidence, ...]:
        """Claims that name the company ``ticker`` directly."""
        self.company(ticker)
        return tuple(ev for ev in self.evidence if ticker in ev.companies)

    def claim(self, claim_id: str) -> Evidence:
        """The claim with this id; :class:`DataError` with close matches if unknown."""
        for ev in self.evidence:
            if ev.id == claim_id:
                return ev
        raise DataError(
            f"unknown evidence id {claim_id!r}", item=f"universe {self.id!r}",
            hint=did_you_mean(claim_id, [ev.id for ev in self.evidence], what="claims"),
        )

    def conflicts(self) -> tuple[tuple[Evidence, Evidence], ...]:
        """Pairs of claims linked by ``conflicts_with`` (each pair once, both sides kept)."""
        by_id = {ev.id: ev for ev in self.evidence}
        pairs: dict[frozenset[str], tuple[Evidence, Evidence]] = {}
        for ev in self.evidence:
            for other in ev.conflicts_with:
                pairs.setdefault(frozenset((ev.id, other)), (ev, by_id[other]))
        return tuple(pairs.values())

    def layer_evidence(
        self, as_of: dt.date | None = None, *, half_life_days: float = HALF_LIFE_DAYS
    ) -> dict[str, float]:
        """Net support per layer: the sum of its claims' recency-weighted signed strengths.

        Every chain layer is a key (0.0 without claims). ``as_of`` defaults to the
        universe's :attr:`as_of`, else the newest claim's date;
        :mod:`thesis_lib.models.evidence` documents the weighting.
        """
        by_layer, _ = support(self.evidence, as_of or self.as_of,
                              half_life_days=half_life_days)
        return {layer_id: by_layer.get(layer_id, 0.0) for layer_id in self.chain.ids}

    def company_evidence(
        self, as_of: dt.date | None = None, *, half_life_days: float = HALF_LIFE_DAYS
    ) -> dict[str, float]:
        """Net support of the claims that name each company directly (0.0 without any)."""
        _, by_company = support(self.evidence, as_of or self.as_of,
                                half_life_days=half_life_days)
        return {c.ticker: by_company.get(c.ticker, 0.0) for c in self.companies}

    def claims_for(self, ticker: str, as_of: dt.date | None = None) -> pd.DataFrame:
        """The claims behind ``ticker``'s ``evidence_support``, largest effect first.

        Columns: ``id``, ``direction``, ``strength``, ``date``, ``weight`` (recency; 0 if
        superseded or dated after ``as_of``), ``via`` (the company itself, or its layers
        with a revenue share), ``effect`` (weight x signed strength x the company's share
        in those layers, plus 1 when the claim names the company), ``source``.
        """
        import numpy as np
        import pandas as pd

        company = self.company(ticker)
        weights = claim_weights(self.evidence, as_of or self.as_of)
        rows = []
        for ev in self.evidence:
            via = [layer for layer in ev.layers if company.share(layer) > 0]
            reach = math.fsum(company.share(layer) for layer in via)
            if ticker in ev.companies:
                via.insert(0, ticker)
                reach += 1.0
            if not via:
                continue
            rows.append({
                "id": ev.id, "direction": ev.direction, "strength": ev.strength,
                "date": ev.date, "weight": weights[ev.id], "via": ", ".join(via),
                "effect": weights[ev.id] * ev.signed_strength * reach, "source": ev.source,
            })
        columns = ["id", "direction", "strength", "date", "weight", "via", "effect", "source"]
        frame = pd.DataFrame(rows, columns=columns)
        if len(frame):  # largest effect first, equal effects by claim id
            order = np.lexsort((frame["id"].to_numpy(dtype=object).astype(str),
                                -frame["effect"].abs().to_numpy()))
            frame = frame.iloc[order].reset_index(drop=True)
        return frame

    # -- company links -------------------------------------------------------------------
    @property
    def current_links(self) -> tuple[Link, ...]:
        """The latest version of each link (one per supplier, customer, layer and kind):
        :attr:`links` may also hold a link's earlier periods and revisions (its history),
        which only a screen as of a past date (:meth:`known_at`) reads. What the
        screening frame, :meth:`suppliers`, :meth:`customers` and :meth:`stakes` use."""
        if len(self.links) < 2:
            return self.links
        return latest_links(self.links)

    def links_of(self, ticker: str) -> Links:
        """Every link in which ``ticker`` is the supplier (or investor) or the customer
        (the latest version of each, :attr:`current_links`)."""
        self.company(ticker)
        return Links(lk for lk in self.current_links if ticker in (lk.supplier, lk.customer))

    def suppliers(self, ticker: str, depth: int = 1) -> Links:
        """``supplies`` links into ``ticker`` and, up to ``depth`` steps, into its suppliers.

        ``universe.suppliers("NVDA")`` gives Nvidia's HBM, foundry and packaging
        suppliers; ``depth=2`` adds who supplies them (Hanmi's bonders for SK hynix).
        """
        return Links(link for _, link in self.link_path(ticker, depth, down=True))

    def customers(self, ticker: str, depth: int = 1) -> Links:
        """``supplies`` links out of ``ticker`` and, up to ``depth`` steps, its customers'."""
        return Links(link for _, link in self.link_path(ticker, depth, down=False))

    def stakes(self, ticker: str) -> Links:
        """``stake`` links held in ``ticker`` (its investors) and by it (its holdings)."""
        self.company(ticker)
        return Links(lk for lk in self.current_links
                     if lk.kind == "stake" and ticker in (lk.supplier, lk.customer))

    def link_path(
        self, ticker: str, depth: int = 1, *, down: bool = True,
        kinds: tuple[str, ...] = ("supplies",),
    ) -> tuple[tuple[int, Link], ...]:
        """Like :meth:`suppliers` (``down=True``) or :meth:`customers`, as (step, link) pairs."""
        self.company(ticker)
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise DataError(f"depth must be a whole number >= 1, got {depth!r}",
                            item=f"universe {self.id!r}", hint="use depth=1 for direct links")
        return walk(self.current_links, ticker, down=down, depth=depth, kinds=kinds)

    # -- point in time -------------------------------------------------------------------
    def known_at(self, date: dt.date | str, *, lag: dt.timedelta = REPORTING_LAG) -> Universe:
        """This universe as it was known at ``date``: no figure published later leaks in.

        A figure counts from its known date (``known_on(lag)``: ``known_from`` where
        given, else the end of its period plus ``lag``, :data:`REPORTING_LAG`, for
        exposures, financials and links; a forward figure's document date; a claim's
        date). Per company and layer, among the current exposures and the
        ``exposure_history`` known on or before ``date``, the one for the latest period
        (``as_of``) is kept, equal periods going to the later known date (a revision);
        likewise the financials. Forward figures known by then are kept; of the links
        known by then, the latest of each (supplier, customer, layer, kind); of the
        claims, those dated on or before ``date`` (references to later claims are
        dropped, so a claim superseded later still counts). The result's ``as_of`` is
        ``date`` (claims are weighed at it) and its histories are empty. Every company
        stays, with no exposures when nothing about it was known yet.

        The layers picked for a company may come from different periods (a layer's new
        figure is public, another's not yet). Each period's shares add up to at most 1
        (checked when the company is built), but figures from different periods may
        not: then the figures of the newest period are kept and an older period's
        figure that would take the total past 1 (with :data:`SHARE_TOLERANCE`) is left
        out, as stale beside the newer ones. A link's ``revenue_share`` is handled the
        same way per supplier (the older link is kept, without its share).
        """
        when = parse_date(date, field="date", item=f"universe {self.id!r}")
        if not isinstance(lag, dt.timedelta) or lag < dt.timedelta(0):
            raise DataError(f"lag must be a datetime.timedelta of 0 days or more, got {lag!r}",
                            item=f"universe {self.id!r}", field="lag",
                            hint="e.g. datetime.timedelta(days=90), the default REPORTING_LAG")
        companies = tuple(_company_known_at(c, when, lag) for c in self.companies)
        links = _links_known_at(self.links, when, lag)
        evidence = _evidence_known_at(self.evidence, when)
        return self.model_copy(update={"companies": companies, "links": links,
                                       "evidence": evidence, "as_of": when})

    # -- conversions ---------------------------------------------------------------------
    def panel(self, dates: Iterable[dt.date | str], *,
              lag: dt.timedelta = REPORTING_LAG) -> pd.DataFrame:
        """A (date, ticker) panel: for each of ``dates``, the screening frame of
        :meth:`known_at` that date, so that ``screen(universe.panel(dates), pack)`` gives
        scores that change over time with no look-ahead (a figure enters on the first
        date it was known). Dates are sorted and given once each; the frame of each date
        is :meth:`to_frame`'s, indexed by ``date`` (month-end Timestamps as given) and
        ``ticker``."""
        import pandas as pd

        if isinstance(dates, str | dt.date):
            raise DataError("dates must be several dates, not one", item=f"universe {self.id!r}",
                            field="dates", hint="e.g. pd.date_range('2025-01-31', "
                            "periods=12, freq='ME'), or known_at(date).to_frame() for one")
        parsed = sorted({parse_date(d, field="dates", item=f"universe {self.id!r}")
                         for d in dates})
        if not parsed:
            raise DataError("no dates given", item=f"universe {self.id!r}", field="dates",
                            hint="give the dates to screen at, e.g. month ends")
        frames = {pd.Timestamp(d): self.known_at(d, lag=lag).to_frame() for d in parsed}
        return pd.concat(frames, names=["date", "ticker"])

    def to_frame(self) -> pd.DataFrame:
        """The screening frame: one row per company, the one format between pipeline stages.

        Index ``ticker`` (string dtype), in declaration order. Columns, in order:

        ============================  ========  =============================================
        column                        dtype     meaning
        ============================  ========  =============================================
        ``name``                      string    company name
        ``country``                   string    ISO 3166-1 alpha-2 code
        ``currency``                  string    the listing's quote currency
        ``listed``                    bool      False for private companies (never priced)
        ``primary_layer``             string    layer with the largest share (<NA> if none);
                                                equal shares go to the layer first in the
                                                chain's order (:meth:`primary_layers`)
        ``exposure_<layer_id>``       float64   revenue share from that layer in the
                                                exposure's period, 0.0 if none; one column
                                                per chain layer, chain order (and so for
                                                every ``<layer_id>`` family below)
        ``ai_exposure_<layer_id>``    float64   the AI/data-centre-driven part of it:
                                                share x ai_share (ai_share 1.0 if unstated)
        ``forward_exposure_<layer>``  float64   expected AI-driven share from dated forward
                                                figures (contracted, guided, pre-revenue),
                                                summed, at most 1; never part of today's
        ``sales_to_<layer_id>``       float64   share of revenue from customers whose main
                                                layer is that layer, summed over ``supplies``
                                                links with a reported share (at most 1)
        ``customers_in_<layer_id>``   float64   number of ``supplies`` links to customers
                                                whose main layer is that layer
        ``exposure_total``            float64   sum of the exposure columns
        ``ai_exposure_total``         float64   sum of the ai_exposure columns
        ``confidence``                float64   share-weighted mean confidence of the
                                                exposures (NaN without exposures)
        ``evidence_support``          float64   tanh of (sum over layers of share x the
                                                layer's net support, :meth:`layer_evidence`,
                                                plus the support of claims naming the
                                                company, :meth:`company_evidence`): in (-1, 1)
        ``revenue_usd``               float64   total revenue in USD for the financials'
                                                period (NaN without financials)
        ``ai_revenue_usd``            float64   dollar exposure: revenue_usd x
                                                ai_exposure_total (NaN without financials)
        ============================  ========  =============================================

        Market-data adapters append their own columns (``price``, ``market_cap_usd``,
        ``pe_forward`` …, NaN where unknown) without changing these. A user may bring
        their own DataFrame with the same columns to :func:`thesis_lib.screen`.

        The frame does not depend on the order of anything but the companies (which only
        orders its rows): sums over exposures, forward figures, links and claims are
        exactly rounded (:func:`math.fsum`) and ties are broken by the chain's order, so
        reordering any of them gives the same values to the last bit.
        """
        from thesis_lib.frame import build_frame

        return build_frame(self)

    @property
    def builtin_data(self) -> bool:
        """True for a built-in universe, and for copies of it that keep its id (saved,
        filtered or edited): its figures are thesis-lib's illustrative estimates. False for
        a universe of your own (any other id)."""
        return self.id in BUILTIN_UNIVERSE_IDS

    @property
    def disclaimer(self) -> str | None:
        """:data:`DATA_DISCLAIMER` for built-in data (:attr:`builtin_data`), None for a
        universe of your own: the disclaimer is about thesis-lib's figures, not yours."""
        return DATA_DISCLAIMER if self.builtin_data else None

    def to_toml(self) -> str:
        """This universe as a self-contained TOML document (chain, links and evidence
        inline) that :func:`~thesis_lib.load_universe` reads back equal.

        The header comment is neutral for a universe of your own; a copy of the built-in
        universe keeps a note that its figures come from thesis-lib's built-in data, with
        the disclaimer."""
        from thesis_lib import _toml

        doc: dict[str, Any] = self.model_dump(mode="python", exclude_none=True)
        chain = doc.pop("chain")
        companies = doc.pop("companies", [])
        for company in companies:  # no history is the usual case: leave the keys out
            for key in ("exposure_history", "financials_history"):
                if not company.get(key):
                    company.pop(key, None)
        links = doc.pop("links", [])
        evidence = doc.pop("evidence", [])
        ordered: dict[str, Any] = {**doc, "chain": chain, "companies": companies}
        if links:
            ordered["links"] = links
        if evidence:
            ordered["evidence"] = evidence
        header = "thesis-lib universe (chain, links and evidence inline)."
        if self.builtin_data:
            header += (f"\nSaved from thesis-lib's built-in data ({self.id}).\n"
                       f"{DATA_DISCLAIMER}\nEach figure carries its source and as-of date: "
                       "check them before anyone invests.")
        return _toml.dumps(ordered, header=header)

    def _repr_html_(self) -> str:
        from thesis_lib._html import universe_html

        return universe_html(self)

    def __repr__(self) -> str:
        listed = sum(c.listed for c in self.companies)
        return (
            f"Universe(id={self.id!r}, companies={len(self.companies)} ({listed} listed), "
            f"layers={len(self.chain)}, links={len(self.links)}, evidence={len(self.evidence)})"
        )

    __str__ = __repr__


def _link_problems(
    links: tuple[Link, ...], tickers: set[str], layers: set[str]
) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str, str, str, dt.date, dt.date]] = set()
    share_by_supplier: dict[str, float] = {}
    newest: dict[tuple[str, str, str, str], tuple[dt.date, dt.date]] = {}
    for link in links:  # a link's earlier versions (its history) do not add up
        rank = (link.as_of, link.known_on())
        newest[link.key] = max(rank, newest.get(link.key, rank))
    for i, link in enumerate(links):
        where = f"link #{i + 1} ({link.supplier} -> {link.customer})"
        for name in ("supplier", "customer"):
            ticker = getattr(link, name)
            if ticker not in tickers:
                problems.append(Problem(f"unknown ticker {ticker!r}", item=where, field=name,
                                        hint=did_you_mean(ticker, tickers, what="tickers")))
        if link.layer not in layers:
            problems.append(Problem(f"unknown layer {link.layer!r}", item=where, field="layer",
                                    hint=did_you_mean(link.layer, layers, what="layers")))
        dated = (*link.key, link.as_of, link.known_on())
        if dated in seen:
            problems.append(Problem(
                "duplicate link (same supplier, customer, layer, kind, as_of and known date)",
                item=where, hint="merge the two entries; a link's figure for another period "
                                 "(or a revision with its own known_from) is its history"))
        seen.add(dated)
        if link.revenue_share is not None and newest[link.key] == (link.as_of,
                                                                    link.known_on()):
            total = share_by_supplier.get(link.supplier, 0.0) + link.revenue_share
            share_by_supplier[link.supplier] = total
            if total > 1.0 + 1e-3:
                problems.append(Problem(
                    f"{link.supplier}'s revenue shares from its customers add up to "
                    f"{total:.3g}, more than 1", item=where, field="revenue_share",
                    hint="revenue_share is the share of the supplier's total revenue"))
    return problems


def latest_links(
    links: Sequence[Link], *, lag: dt.timedelta = REPORTING_LAG
) -> tuple[Link, ...]:
    """The latest of each link (one per :attr:`Link.key`): the one for the latest
    ``as_of``, equal dates going to the later known date (a revision), in the order the
    links are declared."""
    best: dict[tuple[str, str, str, str], tuple[tuple[dt.date, dt.date], int]] = {}
    for i, link in enumerate(links):
        rank = (link.as_of, link.known_on(lag))
        held = best.get(link.key)
        if held is None or rank > held[0]:
            best[link.key] = (rank, i)
    keep = {i for _, i in best.values()}
    return tuple(link for i, link in enumerate(links) if i in keep)


def _latest(figures: Sequence[Any], lag: dt.timedelta) -> Any:
    """The figure for the latest period, equal periods going to the later known date."""
    return max(figures, key=lambda f: (f.as_of, f.known_on(lag)))


def _company_known_at(company: Company, when: dt.date, lag: dt.timedelta) -> Company:
    by_layer: dict[str, list[Exposure]] = {}
    for exposure in (*company.exposures, *company.exposure_history):
        if exposure.known_on(lag) <= when:
            by_layer.setdefault(exposure.layer, []).append(exposure)
    picked = [_latest(figures, lag) for figures in by_layer.values()]
    # Newest period first: an older period's figure that no longer fits beside the newer
    # ones is left out (each period alone adds up to at most 1).
    picked.sort(key=lambda e: (e.as_of, e.known_on(lag), e.layer), reverse=True)
    kept: list[Exposure] = []
    for exposure in picked:
        if math.fsum([*(e.share for e in kept), exposure.share]) <= 1.0 + SHARE_TOLERANCE:
            kept.append(exposure)
    order = {id(e): i for i, e in enumerate((*company.exposures, *company.exposure_history))}
    kept.sort(key=lambda e: order[id(e)])
    money = [f for f in (company.financials, *company.financials_history)
             if f is not None and f.known_on(lag) <= when]
    return company.model_copy(update={
        "exposures": tuple(kept),
        "exposure_history": (),
        "financials": _latest(money, lag) if money else None,
        "financials_history": (),
        "forward": tuple(f for f in company.forward if f.known_on(lag) <= when),
    })


def _links_known_at(links: Sequence[Link], when: dt.date, lag: dt.timedelta) -> tuple[Link, ...]:
    current = latest_links([lk for lk in links if lk.known_on(lag) <= when], lag=lag)
    ranked = sorted(range(len(current)), reverse=True,
                    key=lambda i: (current[i].as_of, current[i].known_on(lag), current[i].key))
    budget: dict[str, list[float]] = {}
    out = list(current)
    for i in ranked:
        link = current[i]
        if link.revenue_share is None:
            continue
        held = budget.setdefault(link.supplier, [])
        # a little inside the universe check's bound (which sums in declaration order)
        if math.fsum([*held, link.revenue_share]) <= 1.0 + SHARE_TOLERANCE - 1e-9:
            held.append(link.revenue_share)
        else:
            out[i] = link.model_copy(update={"revenue_share": None})
    return tuple(out)


def _evidence_known_at(evidence: Sequence[Evidence], when: dt.date) -> tuple[Evidence, ...]:
    known = [ev for ev in evidence if ev.date <= when]
    ids = {ev.id for ev in known}
    out = []
    for ev in known:
        conflicts = tuple(x for x in ev.conflicts_with if x in ids)
        supersedes = tuple(x for x in ev.supersedes if x in ids)
        if conflicts != ev.conflicts_with or supersedes != ev.supersedes:
            ev = ev.model_copy(update={"conflicts_with": conflicts, "supersedes": supersedes})
        out.append(ev)
    return tuple(out)


def _evidence_problems(
    evidence: tuple[Evidence, ...], tickers: set[str], layers: set[str]
) -> list[Problem]:
    problems: list[Problem] = []
    known = {ev.id for ev in evidence}
    seen: set[str] = set()
    for ev in evidence:
        where = f"evidence {ev.id!r}"
        if ev.id in seen:
            problems.append(Problem("duplicate evidence id", item=where, field="id",
                                    hint="give every claim its own id"))
        seen.add(ev.id)
        located = [(f"layers[{i}]", x, layers, "layer", "layers")
                   for i, x in enumerate(ev.layers)]
        located += [(f"companies[{i}]", x, tickers, "ticker", "tickers")
                    for i, x in enumerate(ev.companies)]
        located += [(f"{name}[{i}]", x, known, "claim", "claims")
                    for name in ("conflicts_with", "supersedes")
                    for i, x in enumerate(getattr(ev, name))]
        for field, value, allowed, what, plural in located:
            if value not in allowed:
                problems.append(Problem(f"unknown {what} {value!r}", item=where, field=field,
                                        hint=did_you_mean(value, allowed, what=plural)))
    return problems


def _located_layers(
    exposures: Sequence[Any], forward: Sequence[Any], history: Sequence[Any] = ()
) -> list[tuple[str, Any]]:
    located = [(f"exposures[{i}].layer", e.layer) for i, e in enumerate(exposures)]
    located += [(f"forward[{i}].layer", f.layer) for i, f in enumerate(forward)]
    located += [(f"exposure_history[{i}].layer", e.layer) for i, e in enumerate(history)]
    return located


def _company_problems(
    companies: Sequence[tuple[Any, list[tuple[str, Any]]]], layers: set[str]
) -> list[Problem]:
    """Duplicate tickers and unknown layers of ``(ticker, [(field, layer), ...])`` pairs."""
    problems: list[Problem] = []
    seen: set[Any] = set()
    for ticker, located in companies:
        where = f"company {ticker!r}"
        if ticker in seen:
            problems.append(Problem("duplicate ticker", item=where, field="ticker",
                                    hint="each company appears once; merge the two entries"))
        seen.add(ticker)
        for field, layer in located:
            if isinstance(layer, str) and layer not in layers:
                problems.append(Problem(f"unknown layer {layer!r}", item=where, field=field,
                                        hint=did_you_mean(layer, layers, what="layers")))
    return problems


def _raw_problems(data: Mapping[str, Any]) -> list[Problem]:
    """The checks across the universe on raw data whose fields did not all validate: each
    company, link and claim that reads is checked as in :meth:`Universe._check_together`."""
    chain = data.get("chain")
    try:
        chain = chain if isinstance(chain, SupplyChain) else SupplyChain.model_validate(chain)
    except (ThesisError, ValueError, TypeError):
        return []  # the chain's own problems are reported; nothing to check layers against
    layers = set(chain.ids)

    def rows(key: str) -> list[Any]:
        value = data.get(key, ())
        return list(value) if isinstance(value, list | tuple) else []

    companies: list[tuple[Any, list[tuple[str, Any]]]] = []
    for raw in rows("companies"):
        if isinstance(raw, Company):
            companies.append((raw.ticker, _located_layers(raw.exposures, raw.forward,
                                                          raw.exposure_history)))
            continue
        if not isinstance(raw, Mapping) or not isinstance(raw.get("ticker"), str):
            continue
        located: list[tuple[str, Any]] = []
        for name in ("exposures", "forward", "exposure_history"):
            items = raw.get(name, ())
            for i, item in enumerate(items if isinstance(items, list | tuple) else ()):
                layer = item.get("layer") if isinstance(item, Mapping) else \
                    getattr(item, "layer", None)
                located.append((f"{name}[{i}].layer", layer))
        companies.append((raw["ticker"].strip(), located))
    tickers = {t for t, _ in companies}
    links = tuple(_valid(Link, rows("links")))
    evidence = tuple(_valid(Evidence, rows("evidence")))
    return [*_company_problems(companies, layers), *_link_problems(links, tickers, layers),
            *_evidence_problems(evidence, tickers, layers)]


def _valid(model: Any, items: Sequence[Any]) -> Iterator[Any]:
    """The items that validate as ``model`` (the others' problems are reported already)."""
    for item in items:
        if isinstance(item, model):
            yield item
            continue
        try:
            yield model.model_validate(item)
        except (ThesisError, ValueError, TypeError):
            continue


def _natural(text: str | None) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text or ""))


def _merge(found: list[Problem], extra: list[Problem]) -> list[Problem]:
    """Field problems and cross-checks together, once each, grouped by item in the order
    the items first appear, and by field within an item."""
    unique: dict[str, Problem] = {}
    for p in [*found, *extra]:
        unique.setdefault(str(p), p)
    problems = list(unique.values())
    order: dict[str | None, int] = {}
    for p in problems:
        order.setdefault(p.item, len(order))
    return sorted(problems, key=lambda p: (order[p.item], _natural(p.field)))
