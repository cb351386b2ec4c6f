"""thesis-lib: screen listed companies against an investment thesis written as code.

The pipeline: a supply-chain graph and a universe of companies (with exposures and
evidence) become a screening frame (:meth:`Universe.to_frame`), which a compiled rule
pack scores into a :class:`ScreenResult` that explains every score.
"""

import importlib
from typing import Any

from thesis_lib.basket import Basket, BasketRules, build_basket, load_basket_rules
from thesis_lib.errors import (
    BasketError,
    ChainError,
    DataError,
    EvaluationError,
    ExpressionError,
    MarketDataError,
    MissingDataError,
    PlotUnavailableError,
    Problem,
    ProviderUnavailableError,
    RateLimitError,
    RuleError,
    ScreenError,
    SourceUnavailableError,
    SymbolNotFoundError,
    ThesisError,
)
from thesis_lib.loading import (
    load_chain,
    load_evidence,
    load_links,
    load_scenarios,
    load_universe,
    save_universe,
    validate_scenarios,
    validate_universe,
)
from thesis_lib.models import (
    Company,
    Evidence,
    Exposure,
    Financials,
    Forward,
    Layer,
    Link,
    Scenario,
    SupplyChain,
    Universe,
)
from thesis_lib.pipeline import screen
from thesis_lib.rules import (
    Expectation,
    Explanation,
    Rule,
    RulePack,
    ScreenResult,
    load_pack,
    validate_pack,
)
from thesis_lib.scenarios import ScenarioRun, run_scenarios

__version__ = "0.1.0.dev0"


def __getattr__(name: str) -> Any:
    # thesis_lib.evaluate loads scipy.stats and thesis_lib.plots matplotlib: only on first use.
    if name in ("evaluate", "plots"):
        return importlib.import_module(f"thesis_lib.{name}")
    raise AttributeError(f"module 'thesis_lib' has no attribute {name!r}")

__all__ = [
    "Basket",
    "BasketError",
    "BasketRules",
    "ChainError",
    "Company",
    "DataError",
    "EvaluationError",
    "Evidence",
    "Expectation",
    "Explanation",
    "Exposure",
    "ExpressionError",
    "Financials",
    "Forward",
    "Layer",
    "Link",
    "MarketDataError",
    "MissingDataError",
    "PlotUnavailableError",
    "Problem",
    "ProviderUnavailableError",
    "RateLimitError",
    "Rule",
    "RuleError",
    "RulePack",
    "Scenario",
    "ScenarioRun",
    "ScreenError",
    "ScreenResult",
    "SourceUnavailableError",
    "SupplyChain",
    "SymbolNotFoundError",
    "ThesisError",
    "Universe",
    "__version__",
    "build_basket",
    "load_basket_rules",
    "load_chain",
    "load_evidence",
    "load_links",
    "load_pack",
    "load_scenarios",
    "load_universe",
    "run_scenarios",
    "save_universe",
    "screen",
    "validate_pack",
    "validate_scenarios",
    "validate_universe",
]
