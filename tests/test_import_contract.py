"""The import contract: every module imports only from the layers below its own.

The layers are listed in ``pyproject.toml`` (``[tool.importlinter]``) and checked by
``lint-imports`` in CI; these tests run the same check and show that an upward import,
even one inside a function, breaks it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter")

ROOT = Path(__file__).resolve().parents[1]


LINT = Path(sys.executable).parent / "lint-imports"


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    command = str(LINT) if LINT.exists() else shutil.which("lint-imports") or "lint-imports"
    return subprocess.run(
        [command, "--no-cache"], cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
        capture_output=True, text=True, timeout=120, check=False)


def test_the_package_keeps_its_import_contract() -> None:
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Imports only go down the pipeline KEPT" in done.stdout


def test_an_upward_import_inside_a_function_breaks_it(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "thesis_lib", tmp_path / "thesis_lib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    engine = tmp_path / "thesis_lib" / "rules" / "screen.py"
    engine.write_text(engine.read_text(encoding="utf-8") + (
        "\n\ndef _borrowed() -> object:\n"
        "    from thesis_lib.basket import build_basket\n\n"
        "    return build_basket\n"), encoding="utf-8")
    done = _lint(tmp_path)
    assert done.returncode == 1
    assert "thesis_lib.rules is not allowed to import thesis_lib.basket" in done.stdout
    assert "thesis_lib.rules.screen -> thesis_lib.basket" in done.stdout
