"""Scenarios: named, documented overrides of a universe and a pack ("what would change my
mind"), applied by :func:`thesis_lib.scenarios.run_scenarios`.

A scenario may

- add claims (``add_claims``, full :class:`~thesis_lib.models.Evidence` entries), flip
  the direction of existing ones (``flip_claims``: supports <-> undermines) or remove
  them (``remove_claims``);
- scale a layer's exposures (``scale_exposure``: its share and AI-driven part, e.g. 0.7
  for HBM prices falling 30%), only its AI-driven part (``scale_ai``: 0.8 for AI capex
  20% lower), or its net evidence support (``scale_support``);
- change rule weights (``weights``: rule id -> weight);
- replace a company's figures (``figures``: a share, an AI share or the revenue).

Scaled shares stay within 0..1 and a company's shares are scaled back together when they
would add up past 1.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from thesis_lib._limits import FIGURE_LIMIT, WEIGHT_LIMIT
from thesis_lib.models._base import Model
from thesis_lib.models.chain import LayerId
from thesis_lib.models.company import Ticker
from thesis_lib.models.evidence import Evidence, EvidenceId

ScenarioId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-_]*$", max_length=80)]


class FigureOverride(Model):
    """Replace one company's figures: a layer's ``share`` and/or ``ai_share`` (the part of
    that layer revenue driven by AI demand), and/or its ``revenue_usd``."""

    ticker: Ticker
    layer: LayerId | None = None
    share: float | None = Field(default=None, ge=0.0, le=1.0)
    ai_share: float | None = Field(default=None, ge=0.0, le=1.0)
    revenue_usd: float | None = Field(default=None, ge=0.0, le=FIGURE_LIMIT,
                                      allow_inf_nan=False)

    @model_validator(mode="after")
    def _check(self) -> FigureOverride:
        if self.share is None and self.ai_share is None and self.revenue_usd is None:
            raise PydanticCustomError(
                "figure_empty", "a figure override needs share, ai_share or revenue_usd",
                {"field": "share", "hint": "say which figure replaces the current one"})
        if (self.share is not None or self.ai_share is not None) and self.layer is None:
            raise PydanticCustomError(
                "figure_layer", "a share or ai_share needs its layer",
                {"field": "layer", "hint": 'add layer = "hbm" (or the layer meant)'})
        return self


def _factors(value: dict[str, float]) -> dict[str, float]:
    for layer, factor in value.items():
        if not isinstance(factor, int | float) or isinstance(factor, bool) \
                or not math.isfinite(factor) or factor < 0:
            raise PydanticCustomError(
                "factor", "the value for '{layer}' must be a finite number >= 0, got {got}",
                {"layer": layer, "got": factor, "hint": "e.g. 0.8 for 20% lower"})
    return value


class Scenario(Model):
    """A named, documented set of overrides; see :mod:`thesis_lib.models.scenario`."""

    item_label = ("scenario", "id")

    id: ScenarioId
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    add_claims: tuple[Evidence, ...] = ()
    flip_claims: tuple[EvidenceId, ...] = ()
    remove_claims: tuple[EvidenceId, ...] = ()
    scale_exposure: dict[LayerId, float] = Field(default_factory=dict)
    scale_ai: dict[LayerId, float] = Field(default_factory=dict)
    scale_support: dict[LayerId, float] = Field(default_factory=dict)
    weights: dict[str, float] = Field(default_factory=dict)
    figures: tuple[FigureOverride, ...] = ()

    _check_factors = field_validator("scale_exposure", "scale_ai", "scale_support",
                                     "weights")(_factors)

    @field_validator("weights")
    @classmethod
    def _bounded_weights(cls, value: dict[str, float]) -> dict[str, float]:
        for rule, weight in value.items():
            if weight > WEIGHT_LIMIT:
                raise PydanticCustomError(
                    "weight_limit", "the weight of rule '{rule}' must be at most {limit}, "
                    "got {got}", {"rule": rule, "limit": f"{WEIGHT_LIMIT:g}", "got": weight,
                                  "field": rule,
                                  "hint": "weights are relative: scale them all down together"})
        return value

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        both = set(self.flip_claims) & set(self.remove_claims)
        if both:
            raise PydanticCustomError(
                "claim_twice", "claim '{claim}' is both flipped and removed",
                {"claim": sorted(both)[0], "field": "flip_claims",
                 "hint": "keep it in one of flip_claims and remove_claims"})
        return self

    @property
    def changes_evidence(self) -> bool:
        """True when the scenario touches claims or support."""
        return bool(self.add_claims or self.flip_claims or self.remove_claims
                    or self.scale_support)
