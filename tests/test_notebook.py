"""The quickstart notebook runs in a Jupyter kernel, offline, and shows what it promises:
HTML tables (the screen result's top 20 and "n more", names left-aligned, no -0.00) and
a figure as an image, with nothing printed as a stand-in.

Needs the dev extra's ``nbclient`` and ``ipykernel``; skipped without them.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest
from html_tables import read_page

from thesis_lib._html import MAX_ROWS, TABLE_CSS

nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "quickstart.ipynb"


@pytest.fixture(scope="module")
def cells(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The notebook's code cells after running it in a fresh kernel."""
    import nbformat

    tmp = tmp_path_factory.mktemp("notebook")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    env = dict(os.environ)
    dead = "http://127.0.0.1:9"  # nothing listens there: any download fails at once
    env.update({"HTTP_PROXY": dead, "HTTPS_PROXY": dead, "http_proxy": dead,
                "https_proxy": dead, "NO_PROXY": "", "no_proxy": "",
                "THESIS_LIB_CACHE_DIR": str(tmp / "cache"), "MPLCONFIGDIR": str(tmp / "mpl"),
                "JUPYTER_PLATFORM_DIRS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    env.pop("MPLBACKEND", None)  # a fresh kernel: whatever backend it starts with
    client = nbclient.NotebookClient(
        notebook, kernel_name="python3", timeout=120, allow_errors=False,
        resources={"metadata": {"path": str(tmp)}})
    client.execute(env=env)
    return [c for c in notebook.cells if c.cell_type == "code"]


def _outputs(cell: dict[str, Any], mime: str) -> list[str]:
    return [o["data"][mime] for o in cell["outputs"]
            if o["output_type"] in ("display_data", "execute_result") and mime in o["data"]]


def _cell(cells: list[dict[str, Any]], snippet: str) -> dict[str, Any]:
    (found,) = [c for c in cells if snippet in c["source"]]
    return found


def test_every_cell_runs_and_displays_without_printing(cells: list[dict[str, Any]]) -> None:
    assert len(cells) == 8
    for cell in cells:
        kinds = [o["output_type"] for o in cell["outputs"]]
        assert "error" not in kinds and "stream" not in kinds, (cell["source"], kinds)
        shown = _outputs(cell, "text/html") + _outputs(cell, "image/png")
        assert len(shown) >= 1, cell["source"]
    for cell in cells:
        for page in _outputs(cell, "text/html"):
            assert "<script" not in page and "-0.00" not in page


def test_screen_result_shows_the_top_20_compactly(cells: list[dict[str, Any]]) -> None:
    (page,) = _outputs(_cell(cells, "result = tl.screen(universe, pack)"), "text/html")
    assert len(page.encode()) < 12_000
    read = read_page(page)
    assert read.styles == [TABLE_CSS]
    (table,) = read.tables
    assert len(table.rows) == MAX_ROWS
    assert read.paragraphs[1] == f"{55 - MAX_ROWS} more rows (55 in all)"
    # 4 columns that are 0 in every row shown are named, not drawn: it fits the page
    assert read.paragraphs[2] == ("0 in every row shown: equipment, consensus_layer, "
                                  "above_priced_layer, valuation")
    assert len(table.header) == 8
    assert read.paragraphs[0].startswith("one-layer-down v2.0.0: 50 ranked, 5 excluded")
    names = table.column("name")
    assert not any(c.numeric for c in names)  # left-aligned (the style sheet's default)
    assert "white-space:nowrap;text-align:left" in read.styles[0]
    assert names[1].text == "SK hynix"
    assert all(c.numeric for c in table.column("score"))
    assert not any("-0.0" in c.text for row in table.rows for c in row)


def test_other_displays(cells: list[dict[str, Any]]) -> None:
    load = _cell(cells, "universe = tl.load_universe()")
    universe_page, pack_page = _outputs(load, "text/html")
    assert "ai-compute-2026: 55 companies (50 listed)" in universe_page
    assert len(read_page(universe_page).tables[0].rows) == MAX_ROWS
    pack = read_page(pack_page)
    assert pack.paragraphs[0].startswith("pack one-layer-down v2.0.0: 8 rules")
    assert len(pack.tables[0].rows) == 8
    (gate,) = _outputs(_cell(cells, 'result.explain("ANTHROPIC")'), "text/html")
    assert "excluded by gate 'listed'" in read_page(gate).paragraphs[1]
    (links,) = _outputs(_cell(cells, 'universe.suppliers("NVDA")'), "text/html")
    suppliers = read_page(links).tables[0]
    assert {c.text for c in suppliers.column("customer")} == {"NVDA"}
    (scenarios,) = _outputs(_cell(cells, "tl.run_scenarios"), "text/html")
    assert "hbm-oversupply-2027" in scenarios


def test_figure_is_an_image(cells: list[dict[str, Any]]) -> None:
    plot = _cell(cells, "plots.contribution_waterfall")
    (png,) = _outputs(plot, "image/png")
    data = base64.b64decode(png)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 400 and height >= 300
    texts = [json.dumps(o.get("data", {}).get("text/plain", "")) for o in plot["outputs"]]
    assert all("(<Figure" not in t for t in texts)  # not a tuple shown as text
