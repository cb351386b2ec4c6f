"""An opt-in pytest plugin: rule-pack expectations as tests, and fixtures.

Enable it in your top-level ``conftest.py`` (installing thesis-lib never enables it)::

    pytest_plugins = ["thesis_lib.testing.plugin"]

Then ``pytest`` also collects every ``*.pack.toml`` file below the paths it searches:
each ``[[expect]]`` entry becomes one test item, named by its ``id`` (or its
description), marked ``thesis_pack`` (select them with ``-m thesis_pack``). A failing
item shows the report for that expectation: what was expected, what happened, the
contributions behind it and the rule to look at. A pack that does not load is a
collection error listing every problem in the file.

Fixtures: ``builtin_universe`` (the built-in :class:`~thesis_lib.Universe`) and
``builtin_pack`` (the built-in ``one-layer-down`` :class:`~thesis_lib.RulePack`), both
loaded once per session.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from thesis_lib.errors import ThesisError
from thesis_lib.loading import load_universe
from thesis_lib.models import Universe
from thesis_lib.rules.pack import RulePack, load_pack
from thesis_lib.testing.expectations import ExpectationResult, PackReport, check_pack

PACK_SUFFIX = ".pack.toml"
MARKER = "thesis_pack"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: an expectation of a rule pack (*{PACK_SUFFIX}) run as a test"
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> PackFile | None:
    if file_path.name.endswith(PACK_SUFFIX):
        pack_file: PackFile = PackFile.from_parent(parent, path=file_path)
        return pack_file
    return None


@pytest.fixture(scope="session")
def builtin_universe() -> Universe:
    """The built-in AI-compute universe."""
    return load_universe()


@pytest.fixture(scope="session")
def builtin_pack() -> RulePack:
    """The built-in ``one-layer-down`` rule pack."""
    return load_pack()


class ExpectationFailedError(AssertionError):
    """An expectation of a pack did not hold; ``str()`` is its part of the report."""

    def __init__(self, result: ExpectationResult, pack: RulePack | None) -> None:
        super().__init__(result.to_text(pack))
        self.result = result


class PackFile(pytest.File):
    """A ``*.pack.toml`` file: one test item per expectation, checked together once."""

    _pack: RulePack | None = None
    _report: PackReport | None = None

    def collect(self) -> Iterator[PackItem]:
        try:
            self._pack = load_pack(self.path)
        except ThesisError as error:
            raise self.CollectError(f"cannot load the rule pack:\n{error}") from None
        seen: dict[str, int] = {}
        for index, expectation in enumerate(self._pack.expect, start=1):
            name = expectation.id or expectation.describe()
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                name = f"{name} ({seen[name]})"
            item: PackItem = PackItem.from_parent(self, name=name, index=index)
            item.add_marker(MARKER)
            yield item

    def report(self) -> PackReport:
        """The pack's report, computed on first use (each universe screened once)."""
        if self._report is None:
            if self._pack is None:  # pragma: no cover - collect() always runs first
                self._pack = load_pack(self.path)
            self._report = check_pack(self._pack)
        return self._report


class PackItem(pytest.Item):
    """One expectation of a rule pack, run as a test."""

    def __init__(self, *, index: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.index = index

    def runtest(self) -> None:
        parent = self.parent
        if not isinstance(parent, PackFile):  # pragma: no cover - created by PackFile only
            raise TypeError("a PackItem belongs to a PackFile")
        report = parent.report()
        result = report.results[self.index - 1]
        if not result.passed:
            raise ExpectationFailedError(result, report.pack)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> Any:
        if isinstance(excinfo.value, ExpectationFailedError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"expectation {self.name}"
