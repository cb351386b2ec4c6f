"""Typed models of the supply chain, companies, evidence and the universe."""

from thesis_lib.models.chain import Layer, LayerId, SupplyChain
from thesis_lib.models.company import SHARE_TOLERANCE, Company, Exposure
from thesis_lib.models.evidence import Evidence
from thesis_lib.models.universe import Universe

__all__ = [
    "SHARE_TOLERANCE",
    "Company",
    "Evidence",
    "Exposure",
    "Layer",
    "LayerId",
    "SupplyChain",
    "Universe",
]
