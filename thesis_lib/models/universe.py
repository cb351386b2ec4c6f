"""A universe: companies, the supply chain they sit in, and the evidence, checked together."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from thesis_lib._suggest import did_you_mean
from thesis_lib.errors import DataError, Problem
from thesis_lib.models._base import Model
from thesis_lib.models.chain import SupplyChain
from thesis_lib.models.company import Company
from thesis_lib.models.evidence import Evidence

if TYPE_CHECKING:
    import pandas as pd


class Universe(Model):
    """Companies plus the supply chain and evidence, validated as a whole.

    Validation reports every unknown layer id (in exposures and evidence), every
    duplicate ticker and every duplicate evidence id at once, each naming the company
    (or evidence) and the field.
    """

    id: str = Field(default="custom", min_length=1)
    name: str = ""
    description: str = ""
    chain: SupplyChain
    companies: tuple[Company, ...] = ()
    evidence: tuple[Evidence, ...] = ()

    @model_validator(mode="after")
    def _check_together(self) -> Universe:
        problems: list[Problem] = []
        layers = set(self.chain.ids)
        seen: set[str] = set()
        for company in self.companies:
            where = f"company {company.ticker!r}"
            if company.ticker in seen:
                problems.append(
                    Problem(
                        "duplicate ticker",
                        item=where,
                        field="ticker",
                        hint="each company appears once; merge the two entries",
                    )
                )
            seen.add(company.ticker)
            for i, exposure in enumerate(company.exposures):
                if exposure.layer not in layers:
                    problems.append(
                        Problem(
                            f"unknown layer {exposure.layer!r}",
                            item=where,
                            field=f"exposures[{i}].layer",
                            hint=did_you_mean(exposure.layer, layers, what="layers"),
                        )
                    )
        seen_ev: set[str] = set()
        for ev in self.evidence:
            where = f"evidence {ev.id!r}"
            if ev.id in seen_ev:
                problems.append(Problem("duplicate evidence id", item=where, field="id"))
            seen_ev.add(ev.id)
            for i, layer in enumerate(ev.layers):
                if layer not in layers:
                    problems.append(
                        Problem(
                            f"unknown layer {layer!r}",
                            item=where,
                            field=f"layers[{i}]",
                            hint=did_you_mean(layer, layers, what="layers"),
                        )
                    )
        if problems:
            raise DataError(problems)
        return self

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

    def companies_in(self, layer_id: str, *, min_share: float = 0.0) -> tuple[Company, ...]:
        """Companies with a revenue share in ``layer_id`` above ``min_share``."""
        self.chain.layer(layer_id)
        return tuple(c for c in self.companies if c.share(layer_id) > min_share)

    def evidence_for(self, layer_id: str) -> tuple[Evidence, ...]:
        """Evidence that concerns ``layer_id``."""
        self.chain.layer(layer_id)
        return tuple(ev for ev in self.evidence if layer_id in ev.layers)

    def layer_evidence(self) -> dict[str, float]:
        """Net evidence per layer: mean signed strength of its claims, in [-1, 1] (0 if none)."""
        out: dict[str, float] = {}
        for layer_id in self.chain.ids:
            claims = [ev.signed_strength for ev in self.evidence if layer_id in ev.layers]
            out[layer_id] = sum(claims) / len(claims) if claims else 0.0
        return out

    # -- conversions ---------------------------------------------------------------------
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
        ``primary_layer``             string    layer with the largest share (<NA> if none)
        ``exposure_<layer_id>``       float64   revenue share from that layer, 0.0 if none;
                                                one column per chain layer, chain order
        ``exposure_total``            float64   sum of the exposure columns
        ``confidence``                float64   share-weighted mean confidence of the
                                                exposures (NaN without exposures)
        ``evidence_support``          float64   sum over layers of share x the layer's net
                                                evidence (:meth:`layer_evidence`), in [-1, 1]
        ============================  ========  =============================================

        Market-data adapters append their own columns (``price``, ``market_cap_usd``,
        ``pe_forward`` …, NaN where unknown) without changing these. A user may bring
        their own DataFrame with the same columns to :func:`thesis_lib.screen`.
        """
        from thesis_lib.frame import build_frame

        return build_frame(self)

    def to_toml(self) -> str:
        """This universe as a self-contained TOML document (chain and evidence inline)."""
        from thesis_lib.loading import universe_to_toml

        return universe_to_toml(self)

    def _repr_html_(self) -> str:
        from thesis_lib._html import universe_html

        return universe_html(self)

    def __repr__(self) -> str:
        listed = sum(c.listed for c in self.companies)
        return (
            f"Universe(id={self.id!r}, companies={len(self.companies)} ({listed} listed), "
            f"layers={len(self.chain)}, evidence={len(self.evidence)})"
        )

    __str__ = __repr__
