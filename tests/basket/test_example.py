"""examples/basket.py runs offline and prints what its comments promise."""

from __future__ import annotations

import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "basket.py"


def test_basket_example_runs_and_explains_itself(capsys):
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert out.startswith("Basket (one-layer-down): 15 names; top 15, score-weighted")
    assert "NVDA (Nvidia): out: [selection:min_exposure]" in out
    assert "MU (Micron Technology): out: [selection:min_exposure] below min exposure: 14%" in out
    assert "MU              added" in out
    assert "one-way turnover: 8.27%" in out
    assert "MU (Micron Technology): in at 8.27%: [buffer:entered] new: rank 4" in out
    assert "VST (Vistra): in at 3.47%: [buffer:kept] member kept: rank 16, screen rank 20 " \
           "<= N+k = 18" in out
