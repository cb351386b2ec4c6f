"""The documented bounds on numbers a thesis may hold (no dependencies).

Every number a pack or a universe gives the engine is finite and within these bounds, so
that a score is always a finite number and ranks order it exactly:

- :data:`WEIGHT_LIMIT`: a rule's ``weight`` (scenarios and ``with_weights`` included);
- :data:`NUMBER_LIMIT`: a number written in an expression (``revenue_usd > 5e9``);
- :data:`VALUE_LIMIT`: the value of a score or penalty rule for one company; a value
  beyond it counts as missing, like NaN or infinity (the rule's missing-data policy
  applies);
- :data:`FIGURE_LIMIT`: a dollar figure of a company (revenue, a forward amount).

With these, ``|score| <= rules x WEIGHT_LIMIT x VALUE_LIMIT``, far inside float64.
"""

from __future__ import annotations

__all__ = ["FIGURE_LIMIT", "NUMBER_LIMIT", "VALUE_LIMIT", "WEIGHT_LIMIT"]

WEIGHT_LIMIT = 1e6
"""The largest rule weight (weights lie in ``[0, WEIGHT_LIMIT]``)."""

NUMBER_LIMIT = 1e18
"""The largest absolute value of a number written in an expression."""

VALUE_LIMIT = 1e18
"""The largest absolute value a score or penalty rule may give; beyond, it is missing."""

FIGURE_LIMIT = 1e15
"""The largest dollar figure of a company (revenue, forward amount), in US dollars."""
