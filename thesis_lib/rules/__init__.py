"""The rule engine: a safe expression language, rule packs, and vectorized scoring.

Screen through :func:`thesis_lib.screen` (:mod:`thesis_lib.pipeline`).
"""

from thesis_lib.rules.expression import Expression, ParseContext, compile_expression
from thesis_lib.rules.pack import (
    BUILTIN_PACKS,
    Expectation,
    Rule,
    RulePack,
    load_pack,
    parse_context,
    validate_pack,
)
from thesis_lib.rules.panel import PanelResult, score_panel
from thesis_lib.rules.screen import Explanation, ScreenResult, score_frame

__all__ = [
    "BUILTIN_PACKS",
    "Expectation",
    "Explanation",
    "Expression",
    "PanelResult",
    "ParseContext",
    "Rule",
    "RulePack",
    "ScreenResult",
    "compile_expression",
    "load_pack",
    "parse_context",
    "score_frame",
    "score_panel",
    "validate_pack",
]
