"""Every example script runs offline and prints what it promises; the notebook matches.

Each ``examples/*.py`` (except ``test_*.py``, ``make_*.py`` helpers and ``conftest.py``)
runs in its own Python process with network access pointed at a dead proxy, a throwaway
cache directory and no display. Scripts start together (two at a time) so the suite waits for the
slowest, not for their sum.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py")
                 if not p.name.startswith(("test_", "make_")) and p.name != "conftest.py")

# Lines (substrings) each known script must print. Scripts not listed here must exit 0
# and print something.
EXPECTED: dict[str, list[str]] = {
    "quickstart.py": [
        "Universe(id='ai-compute-2026', companies=55 (50 listed), layers=14, links=63",
        "<ScreenResult pack='one-layer-down' companies=55 ranked=50 excluded=5>",
        "000660.KS (SK hynix): rank 2 of 50, score +9.376 (pack one-layer-down v2.0.0)",
        "via exposure hbm: share 0.330 x AI 1.00, FY2025",
        "via claim value-migrates-to-hbm",
        "  1 3661.TW   Alchip Technologies  custom_asic",
    ],
    "custom_pack.py": [
        "pack memory-wall: 5 rules, problems: none",
        "caught: rule 'hbm': expression, col 10: unknown layer 'hmb' (did you mean 'hbm'?)",
        "expectation 000660.KS ranks above NVDA: holds",
        "saved to TOML and loaded back: equal",
    ],
    "evaluation.py": [
        "since 2026-05-07: 2026-05-07 to ",
        "benchmark NVDA",
        "equal-weight universe (11 names)",
        "test: one-sample t-test of the daily excess returns",
        "rank IC ",
        "over 1 date(s), 11 names each",
        "95% CI [",
        "3 score quantiles over 1 date(s)",
        "top - bottom ",
        "rank stability: 200 draws, weights x (1 + 0.1 x N(0,1)), seed 7",
        "Not investment advice.",
    ],
    "plots.py": [
        "exposure_heatmap.png (",
        "waterfall_000660.KS.png (",
        "basket.png (800x450 px)",
        "stability.png (",
    ],
}
PNGS = {"exposure_heatmap.png": (600, 800), "waterfall_000660.KS.png": (500, 400),
        "basket.png": (800, 450), "stability.png": (1000, 450)}


def _environment(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    dead = "http://127.0.0.1:9"  # nothing listens there: any download fails at once
    env.update({"HTTP_PROXY": dead, "HTTPS_PROXY": dead, "http_proxy": dead,
                "https_proxy": dead, "NO_PROXY": "", "no_proxy": "",
                "MPLBACKEND": "Agg", "THESIS_LIB_CACHE_DIR": str(tmp / "cache"),
                "MPLCONFIGDIR": str(tmp / "mpl"), "PYTHONHASHSEED": "0"})
    return env


def _arguments(script: Path, tmp: Path) -> list[str]:
    return [str(tmp / "plots")] if script.name == "plots.py" else []


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[
        str, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("examples")
    env = _environment(tmp)
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None

    def run(script: Path) -> tuple[str, subprocess.CompletedProcess[str]]:
        if script.name == "plots.py" and not has_matplotlib:
            return script.name, subprocess.CompletedProcess([], 0, "skipped", "")
        done = subprocess.run(
            [sys.executable, str(script), *_arguments(script, tmp)], cwd=tmp, env=env,
            capture_output=True, text=True, timeout=300, check=False)
        return script.name, done

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(run, SCRIPTS))
    results["__tmp__"] = subprocess.CompletedProcess([], 0, str(tmp), "")
    return results


def test_the_examples_are_there() -> None:
    names = {p.name for p in SCRIPTS}
    assert set(EXPECTED) <= names
    assert not any(p.name.startswith(("test_", "make_")) or p.name == "conftest.py"
                   for p in SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_example_runs_offline(script: Path,
                              runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    done = runs[script.name]
    if done.stdout == "skipped":
        pytest.skip("matplotlib (the plot extra) is not installed")
    assert done.returncode == 0, f"{script.name} failed:\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{script.name} printed nothing"
    for line in EXPECTED.get(script.name, []):
        assert line in done.stdout, f"{script.name}: {line!r} not in output:\n{done.stdout}"
    if script.name in EXPECTED:
        assert "Warning" not in done.stderr, done.stderr


def test_plot_example_writes_pngs_with_content(
        runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    pytest.importorskip("matplotlib")
    import numpy as np
    from matplotlib.image import imread

    out = Path(runs["__tmp__"].stdout) / "plots"
    for name, (min_width, min_height) in PNGS.items():
        path = out / name
        assert path.is_file() and path.stat().st_size > 10_000, name
        image = imread(path)
        height, width = image.shape[:2]
        assert width >= min_width and height >= min_height, (name, width, height)
        pixels = image[..., :3].reshape(-1, 3)
        assert len(np.unique(np.round(pixels, 2), axis=0)) > 50, name
        white = np.all(pixels > 0.97, axis=1).mean()
        assert 0.2 < white < 0.98, (name, white)


def _load_make_notebook() -> object:
    spec = importlib.util.spec_from_file_location("make_notebook",
                                                  EXAMPLES / "make_notebook.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _script_code_lines(text: str) -> list[str]:
    """The script without its docstring and `# %%` markers, blank lines left out."""
    tree = ast.parse(text)
    first = tree.body[0]
    skip = first.end_lineno if isinstance(first, ast.Expr) and isinstance(
        first.value, ast.Constant) and isinstance(first.value.value, str) else 0
    lines = text.splitlines()[skip or 0:]
    return [line for line in lines if line.strip() and not line.startswith("# %%")]


def test_notebook_code_is_the_quickstart_script() -> None:
    script = (EXAMPLES / "quickstart.py").read_text(encoding="utf-8")
    notebook = json.loads((EXAMPLES / "quickstart.ipynb").read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    notebook_lines = [line for cell in code for line in cell.splitlines() if line.strip()]
    assert notebook_lines == _script_code_lines(script)
    assert all(not c.get("outputs") for c in notebook["cells"] if c["cell_type"] == "code")
    make = _load_make_notebook()
    assert notebook == make.build_notebook(script)  # type: ignore[attr-defined]
    assert notebook["nbformat"] == 4
