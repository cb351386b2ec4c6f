"""Packaging: the licence, the declared dependencies, the version, and a build with the
oldest setuptools the build-system table allows."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

#: The oldest setuptools release the build-system table admits (``setuptools>=77``): 77.0.0
#: is not on the package index, so 77.0.1 is the oldest that can be installed.
OLDEST_SETUPTOOLS = "77.0.1"


def _requirement(spec: str) -> tuple[str, str]:
    """``("numpy", ">=1.26")`` from ``"numpy>=1.26  # note"``."""
    match = re.match(r"^\s*([A-Za-z0-9_.\-\[\],]+)\s*(.*?)\s*(;.*)?$", spec)
    assert match, spec
    return match.group(1).split("[")[0].lower(), match.group(2)


def _lower_bound(specifier: str) -> tuple[int, ...]:
    found = re.search(r">=\s*([0-9][0-9.]*)", specifier)
    assert found, f"no lower bound in {specifier!r}"
    return tuple(int(p) for p in found.group(1).split("."))


# -- licence ------------------------------------------------------------------------------
def test_license_file_is_the_full_apache_2_text_the_project_declares():
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    for heading in ("TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
                    "1. Definitions.", "2. Grant of Copyright License.",
                    "3. Grant of Patent License.", "4. Redistribution.",
                    "9. Accepting Warranty or Additional Liability.",
                    "END OF TERMS AND CONDITIONS",
                    "APPENDIX: How to apply the Apache License to your work."):
        assert heading in text, heading
    assert len(text.split()) > 1500  # the whole text, not a pointer to it


# -- dependencies -------------------------------------------------------------------------
def test_build_needs_the_setuptools_that_reads_spdx_license_expressions():
    requires = dict(_requirement(r) for r in PYPROJECT["build-system"]["requires"])
    assert _lower_bound(requires["setuptools"]) == (77,)
    assert tuple(int(p) for p in OLDEST_SETUPTOOLS.split("."))[:1] == (77,)


def test_numpy_is_a_core_dependency_at_the_oldest_version_pandas_3_supports():
    core = dict(_requirement(r) for r in PYPROJECT["project"]["dependencies"])
    assert "numpy" in core
    assert _lower_bound(core["numpy"]) == (1, 26)  # pandas 3.0 requires numpy>=1.26.0


def _third_party_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return {name for name in found
            if name not in sys.stdlib_module_names and name not in ("thesis_lib", "__future__")}


def test_every_imported_package_is_declared():
    core = {_requirement(r)[0] for r in PYPROJECT["project"]["dependencies"]}
    extras = {_requirement(r)[0] for reqs in PYPROJECT["project"]["optional-dependencies"].values()
              for r in reqs}
    # Import names that differ from their distribution, or come with a declared one.
    provided_by = {"pydantic_core": "pydantic", "_pytest": "pytest", "pytest": "pytest",
                   "mpl_toolkits": "matplotlib"}
    undeclared: dict[str, list[str]] = {}
    for path in sorted((ROOT / "thesis_lib").rglob("*.py")):
        for name in _third_party_imports(path):
            dist = provided_by.get(name, name).lower()
            if dist not in core | extras:
                undeclared.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert undeclared == {}
    numpy_users = [p for p in (ROOT / "thesis_lib").rglob("*.py")
                   if "numpy" in _third_party_imports(p)]
    assert len(numpy_users) > 10  # numpy is used throughout, so it must be a core dependency


# -- version ------------------------------------------------------------------------------
def test_version_is_the_installed_metadata():
    import thesis_lib

    assert thesis_lib.__version__ == importlib.metadata.version("thesis-lib")
    assert thesis_lib.__version__ != thesis_lib.UNKNOWN_VERSION


def test_version_without_metadata_is_a_marked_fallback(monkeypatch):
    import thesis_lib

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    monkeypatch.delitem(thesis_lib.__dict__, "__version__", raising=False)
    assert thesis_lib.__version__ == thesis_lib.UNKNOWN_VERSION == "0+unknown"
    monkeypatch.delitem(thesis_lib.__dict__, "__version__")  # the next test reads it afresh


def test_cli_version_prints_the_installed_metadata(cli):
    ran = cli("--version")
    assert ran.status == 0
    assert ran.out == f"thesis-lib {importlib.metadata.version('thesis-lib')}\n"


# -- a build with the oldest setuptools ---------------------------------------------------
def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_REQUIRE")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=300, check=False)


def test_wheel_builds_with_the_oldest_allowed_setuptools(tmp_path: Path):
    """Installs setuptools==77.0.1 from the package index (the one test that needs it; it
    is skipped when the index cannot be reached) and builds the wheel without build
    isolation, so the old setuptools is the one that reads pyproject.toml."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "thesis_lib", source / "thesis_lib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = str(env_dir / ("Scripts" if os.name == "nt" else "bin") / "python")
    installed = _run([python, "-m", "pip", "install", "-q", f"setuptools=={OLDEST_SETUPTOOLS}"],
                     tmp_path)
    if installed.returncode != 0:
        pytest.skip(f"setuptools {OLDEST_SETUPTOOLS} could not be installed from the "
                    f"package index: {installed.stderr.strip().splitlines()[-1:]}")
    version = _run([python, "-c", "import setuptools; print(setuptools.__version__)"], tmp_path)
    assert version.stdout.strip() == OLDEST_SETUPTOOLS
    out = tmp_path / "wheels"
    built = _run([python, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation",
                  "-w", str(out)], source)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (wheel,) = out.glob("thesis_lib-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        shipped = next(n for n in names if n.endswith("/licenses/LICENSE"))
        assert archive.read(shipped) == (ROOT / "LICENSE").read_bytes()
    lines = metadata.decode("utf-8").splitlines()
    assert "License-Expression: Apache-2.0" in lines
    assert f"Version: {PYPROJECT['project']['version']}" in lines
    assert any(line.startswith("Requires-Dist: numpy>=1.26") for line in lines)
    assert "thesis_lib/data/universe.toml" in names and "thesis_lib/py.typed" in names
