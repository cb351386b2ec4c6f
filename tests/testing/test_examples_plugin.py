"""The examples folder is a working test suite: run it as a user would, with `pytest`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# Loaded before the in-process runs below (numpy cannot be imported twice in a process).
import thesis_lib.testing.properties  # noqa: F401

pytest_plugins = ["pytester"]

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_examples_pass_under_pytest(pytester: pytest.Pytester) -> None:
    shutil.copytree(EXAMPLES / "packs", pytester.path / "packs")
    for name in ("conftest.py", "test_my_pack.py"):
        shutil.copy(EXAMPLES / name, pytester.path / name)
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "error", "-q")
    # 8 expectations in packs/memory-first.pack.toml, 7 tests in test_my_pack.py
    result.assert_outcomes(passed=15)
    collected = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    lines = collected.outlines
    assert sum("packs/memory-first.pack.toml::" in line for line in lines) == 8
    assert sum(line.startswith("test_my_pack.py::") for line in lines) == 7


def test_examples_ship_no_failing_pack() -> None:
    from thesis_lib.testing import check_pack

    packs = sorted((EXAMPLES / "packs").glob("*.pack.toml"))
    assert packs
    for path in packs:
        report = check_pack(path)
        assert report.ok, str(report)
