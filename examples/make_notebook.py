"""Generate quickstart.ipynb from quickstart.py, so the two never drift apart.

`python examples/make_notebook.py` rewrites the notebook; `--check` exits with status 1
if the notebook on disk differs from what the script gives. The script's docstring
becomes the first markdown cell, and each `# %% Title` line starts a new code cell
preceded by a markdown cell with the title. Only the standard library is used.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SCRIPT = HERE / "quickstart.py"
NOTEBOOK = HERE / "quickstart.ipynb"
MARKER = "# %%"


def cells_from_script(text: str) -> list[tuple[str, str]]:
    """(kind, source) pairs: the docstring as markdown, then titles and code cells."""
    docstring = ast.get_docstring(ast.parse(text)) or ""
    body = text.split('"""', 2)[2] if docstring else text
    cells: list[tuple[str, str]] = []
    if docstring:
        title, _, rest = docstring.partition("\n")
        cells.append(("markdown", f"# {title.strip()}\n{rest}".rstrip()))
    chunks: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith(MARKER):
            chunks.append((line[len(MARKER):].strip(), []))
        elif chunks:
            chunks[-1][1].append(line)
        elif line.strip():
            chunks.append(("", [line]))
    for title, lines in chunks:
        if title:
            cells.append(("markdown", f"## {title}"))
        code = "\n".join(lines).strip("\n")
        if code:
            cells.append(("code", code))
    return cells


def code_of_script(text: str) -> list[str]:
    """The script's code cells, in order: what the notebook's code cells must equal."""
    return [source for kind, source in cells_from_script(text) if kind == "code"]


def build_notebook(text: str) -> dict[str, Any]:
    """An nbformat 4.5 notebook (as a dict) with the script's cells and no outputs."""
    cells: list[dict[str, Any]] = []
    for i, (kind, source) in enumerate(cells_from_script(text), start=1):
        cell: dict[str, Any] = {"cell_type": kind, "id": f"cell-{i}", "metadata": {},
                                "source": source.splitlines(keepends=True)}
        if kind == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
        cells.append(cell)
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def render(notebook: dict[str, Any]) -> str:
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    expected = render(build_notebook(SCRIPT.read_text(encoding="utf-8")))
    if "--check" in argv:
        current = NOTEBOOK.read_text(encoding="utf-8") if NOTEBOOK.exists() else ""
        if current != expected:
            print(f"{NOTEBOOK.name} is out of date: run python examples/make_notebook.py")
            return 1
        print(f"{NOTEBOOK.name} matches {SCRIPT.name}")
        return 0
    NOTEBOOK.write_text(expected, encoding="utf-8")
    print(f"wrote {NOTEBOOK}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
