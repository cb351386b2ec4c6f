"""Typed models of the supply chain, companies, links, evidence and the universe."""

from thesis_lib.models.chain import Layer, LayerId, SupplyChain
from thesis_lib.models.company import (
    REPORTING_LAG,
    SHARE_TOLERANCE,
    Company,
    Exposure,
    Financials,
    Forward,
)
from thesis_lib.models.evidence import HALF_LIFE_DAYS, Evidence, recency_weight
from thesis_lib.models.link import Link, Links
from thesis_lib.models.scenario import FigureOverride, Scenario
from thesis_lib.models.universe import Universe

__all__ = [
    "HALF_LIFE_DAYS",
    "REPORTING_LAG",
    "SHARE_TOLERANCE",
    "Company",
    "Evidence",
    "Exposure",
    "FigureOverride",
    "Financials",
    "Forward",
    "Layer",
    "LayerId",
    "Link",
    "Links",
    "Scenario",
    "SupplyChain",
    "Universe",
    "recency_weight",
]
