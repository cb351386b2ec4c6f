"""Scenarios: "what would change my mind", as named overrides of a universe and a pack.

A :class:`~thesis_lib.models.Scenario` (TOML ``[[scenarios]]`` in a pack or a file of its
own, or Python) adds, flips or removes claims, scales a layer's exposures, AI part or
support, changes weights or replaces a company's figures. :func:`run_scenarios` screens
the base and every scenario, reusing the prepared frame and the compiled pack, and
reports per scenario who entered and left the top N, the biggest rank movers with the
rules that moved them, and the basket's changes.
"""

from thesis_lib.models import FigureOverride, Scenario
from thesis_lib.scenarios.apply import apply_scenario, check_scenario
from thesis_lib.scenarios.run import ScenarioReport, ScenarioRun, run_scenarios

__all__ = [
    "FigureOverride",
    "Scenario",
    "ScenarioReport",
    "ScenarioRun",
    "apply_scenario",
    "check_scenario",
    "run_scenarios",
]
