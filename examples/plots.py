"""Figures written to PNG files: exposures, one company's score, the basket, stability.

Needs the plot extra (`pip install "thesis-lib[plot]"`). Runs offline:
`python examples/plots.py [OUTPUT_DIR]` (a new temporary directory by default).
Nothing is shown on screen: each function returns a matplotlib Figure, saved here.
"""

import datetime as dt
import sys
import tempfile
from pathlib import Path

import pandas as pd

import thesis_lib as tl
from thesis_lib import plots
from thesis_lib.evaluate import basket_performance, rank_stability

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="thesis-plots-"))
out.mkdir(parents=True, exist_ok=True)

universe = tl.load_universe()
pack = tl.load_pack("one-layer-down")
result = tl.screen(universe, pack)
prices = pd.read_csv(Path(__file__).parent / "data" / "prices.csv")
performance = basket_performance(result, prices, since=dt.date(2026, 5, 7), top=5)
stability = rank_stability(pack, universe, noise=0.1, n=200, seed=7)

figures = {
    "exposure_heatmap.png": plots.exposure_heatmap(result),
    "waterfall_000660.KS.png": plots.contribution_waterfall(result, "000660.KS"),
    "basket.png": plots.basket_chart(performance),
    "stability.png": plots.stability_chart(stability),
}
for name, figure in figures.items():
    path = out / name
    figure.savefig(path, dpi=100)
    width, height = (round(v) for v in figure.get_size_inches() * 100)
    print(f"wrote {path} ({width}x{height} px)")
