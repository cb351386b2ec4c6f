"""DuckDB and sqlglot are optional: without them, a typed error says what to install; the
compiler itself needs neither."""

from __future__ import annotations

import sys

import pytest

import thesis_lib as tl
from thesis_lib.errors import EngineUnavailableError
from thesis_lib.sql import compile_pack, to_dialect


@pytest.mark.parametrize("module", ["duckdb", "sqlglot"])
def test_a_missing_extra_is_a_typed_error_with_the_install_command(
        module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # "import duckdb" now fails
    sql = compile_pack(tl.load_pack()).sql  # compiling needs neither
    assert sql.startswith("WITH")
    universe = tl.load_universe()
    run = ((lambda: tl.screen(universe, engine="duckdb")) if module == "duckdb"
           else (lambda: to_dialect(sql, "spark")))
    with pytest.raises(EngineUnavailableError) as raised:
        run()
    error = raised.value
    assert isinstance(error, ModuleNotFoundError) and error.name == module
    assert 'thesis-lib[sql]' in (error.problems[0].hint or "")
    assert to_dialect(sql, "duckdb") == sql  # DuckDB's own dialect needs no translation


def test_importing_thesis_lib_sql_imports_neither() -> None:
    code = ("import sys, thesis_lib.sql, thesis_lib as tl; tl.sql.compile_pack(tl.load_pack()); "
            "print('duckdb' in sys.modules, 'sqlglot' in sys.modules)")
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
