"""Testing rule packs like code: expectations, property checks, strategies, a pytest plugin.

- :func:`check_pack` runs a pack's ``[[expect]]`` entries and returns a
  :class:`PackReport` that explains every miss (no test tools needed);
- :func:`assert_monotone`, :func:`assert_bounded`, :func:`assert_deterministic` and
  :func:`assert_gate_excludes` are property checks for your own tests; they raise
  :class:`PackPropertyError` with a minimal counterexample found by hypothesis;
- :mod:`thesis_lib.testing.strategies` has hypothesis strategies for chains, companies,
  universes, screening frames and rule packs;
- :mod:`thesis_lib.testing.plugin` is an opt-in pytest plugin
  (``pytest_plugins = ["thesis_lib.testing.plugin"]`` in your top-level ``conftest.py``)
  with fixtures and collection of ``*.pack.toml`` files' expectations as tests.

The property checks and strategies need hypothesis (``pip install "thesis-lib[testing]"``);
they are imported only when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from thesis_lib.testing.expectations import (
    ExpectationResult,
    PackReport,
    check_pack,
    expectation_problems,
    format_reports,
)

if TYPE_CHECKING:
    from thesis_lib.testing.properties import (
        PackPropertyError,
        assert_bounded,
        assert_deterministic,
        assert_gate_excludes,
        assert_monotone,
    )

__all__ = [
    "ExpectationResult",
    "PackPropertyError",
    "PackReport",
    "assert_bounded",
    "assert_deterministic",
    "assert_gate_excludes",
    "assert_monotone",
    "check_pack",
    "expectation_problems",
    "format_reports",
]

_LAZY = frozenset({"PackPropertyError", "assert_bounded", "assert_deterministic",
                   "assert_gate_excludes", "assert_monotone"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from thesis_lib.testing import properties

        return getattr(properties, name)
    raise AttributeError(f"module 'thesis_lib.testing' has no attribute {name!r}")
