"""thesis-lib: screen listed companies against an investment thesis written as code.

The pipeline: a supply-chain graph and a universe of companies (with exposures and
evidence) become a screening frame (:meth:`Universe.to_frame`), which a compiled rule
pack scores into a :class:`ScreenResult` that explains every score.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from thesis_lib.errors import (
    BasketError,
    ChainError,
    DataError,
    EngineUnavailableError,
    EvaluationError,
    ExpressionError,
    HypothesisUnavailableError,
    MarketDataError,
    MissingDataError,
    MissingFxError,
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

DISTRIBUTION = "thesis-lib"
"""The name thesis-lib is installed under (``pip install thesis-lib``)."""

UNKNOWN_VERSION = "0+unknown"
"""``__version__`` when the package is imported from a source tree that was never installed
(no distribution metadata to read the version from)."""


def _installed_version() -> str:
    """The version in the installed distribution's metadata (``pyproject.toml`` is the one
    place it is written), or :data:`UNKNOWN_VERSION` when thesis-lib is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return UNKNOWN_VERSION


# Everything else loads on first use (PEP 562), so `import thesis_lib` and
# `thesis --help` stay quick: the tour needs the models, loading, rules and the pipeline,
# not baskets, scenarios, market data, evaluation (scipy) or plots (matplotlib).
_LAZY: dict[str, str] = {
    "Basket": "thesis_lib.basket",
    "BasketRules": "thesis_lib.basket",
    "build_basket": "thesis_lib.basket",
    "load_basket_rules": "thesis_lib.basket",
    "load_chain": "thesis_lib.loading",
    "load_evidence": "thesis_lib.loading",
    "load_links": "thesis_lib.loading",
    "load_scenarios": "thesis_lib.loading",
    "load_universe": "thesis_lib.loading",
    "save_universe": "thesis_lib.loading",
    "validate_scenarios": "thesis_lib.loading",
    "validate_universe": "thesis_lib.loading",
    "Company": "thesis_lib.models",
    "Evidence": "thesis_lib.models",
    "Exposure": "thesis_lib.models",
    "Financials": "thesis_lib.models",
    "Forward": "thesis_lib.models",
    "Layer": "thesis_lib.models",
    "Link": "thesis_lib.models",
    "Links": "thesis_lib.models",
    "Scenario": "thesis_lib.models",
    "SupplyChain": "thesis_lib.models",
    "Universe": "thesis_lib.models",
    "screen": "thesis_lib.pipeline",
    "Expectation": "thesis_lib.rules",
    "PanelResult": "thesis_lib.rules",
    "Explanation": "thesis_lib.rules",
    "Rule": "thesis_lib.rules",
    "RulePack": "thesis_lib.rules",
    "ScreenResult": "thesis_lib.rules",
    "load_pack": "thesis_lib.rules",
    "validate_pack": "thesis_lib.rules",
    "ReportError": "thesis_lib.report",
    "report_html": "thesis_lib.report",
    "write_report": "thesis_lib.report",
    "ScenarioRun": "thesis_lib.scenarios",
    "run_scenarios": "thesis_lib.scenarios",
}
_SUBMODULES = frozenset({
    "basket", "cli", "errors", "evaluate", "frame", "loading", "market", "models",
    "pipeline", "plots", "provenance", "report", "rules", "scenarios", "sql", "testing",
    "watch",
})

if TYPE_CHECKING:
    __version__: str

    from thesis_lib.basket import Basket, BasketRules, build_basket, load_basket_rules
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
        Links,
        Scenario,
        SupplyChain,
        Universe,
    )
    from thesis_lib.pipeline import screen
    from thesis_lib.report import ReportError, report_html, write_report
    from thesis_lib.rules import (
        Expectation,
        Explanation,
        PanelResult,
        Rule,
        RulePack,
        ScreenResult,
        load_pack,
        validate_pack,
    )
    from thesis_lib.scenarios import ScenarioRun, run_scenarios


def __getattr__(name: str) -> Any:
    if name == "__version__":  # read on first use: importing thesis_lib reads no metadata
        found = _installed_version()
        globals()[name] = found
        return found
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"thesis_lib.{name}")
    raise AttributeError(f"module 'thesis_lib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBMODULES, "__version__"})


__all__ = [
    "Basket",
    "BasketError",
    "BasketRules",
    "ChainError",
    "Company",
    "DataError",
    "EngineUnavailableError",
    "EvaluationError",
    "Evidence",
    "Expectation",
    "Explanation",
    "Exposure",
    "ExpressionError",
    "Financials",
    "Forward",
    "HypothesisUnavailableError",
    "Layer",
    "Link",
    "Links",
    "MarketDataError",
    "MissingDataError",
    "MissingFxError",
    "PanelResult",
    "PlotUnavailableError",
    "Problem",
    "ProviderUnavailableError",
    "RateLimitError",
    "ReportError",
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
    "report_html",
    "run_scenarios",
    "save_universe",
    "screen",
    "validate_pack",
    "validate_scenarios",
    "validate_universe",
    "write_report",
]
