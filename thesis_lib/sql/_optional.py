"""Importing the ``sql`` extra's modules (DuckDB, sqlglot) only when they are used."""

from __future__ import annotations

import importlib
from types import ModuleType

from thesis_lib.errors import EngineUnavailableError


def require(module: str, needed_for: str) -> ModuleType:
    """``module``, imported; :class:`EngineUnavailableError` (whose ``name`` is the module)
    with the install command when it is not installed. ``needed_for`` starts the
    message: "<needed_for> needs <module>, which is not installed"."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != module:
            raise  # something the module itself imports is missing: a broken install
        error = EngineUnavailableError(f"{needed_for} needs {module}, which is not installed",
                                       hint='pip install "thesis-lib[sql]"')
        error.name = module
        raise error from exc
