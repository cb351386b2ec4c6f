"""The disclaimer belongs to the built-in data: it goes with the built-in universe (and
copies of it) in saved files and CLI output, never into a user's own universe."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from thesis_lib import Universe, load_chain, load_universe, save_universe
from thesis_lib.loading import BUILTIN_UNIVERSES
from thesis_lib.models.universe import BUILTIN_UNIVERSE_IDS, DATA_DISCLAIMER

D = dt.date(2025, 12, 31)
NOT_IN_A_USER_FILE = ("illustrative", "investment advice", "built-in", "invests")


def _own_universe() -> Universe:
    def company(ticker: str, layer: str, share: float) -> dict[str, object]:
        return {"ticker": ticker, "name": f"{ticker} Corp", "country": "US",
                "currency": "USD", "exposures": [
                    {"layer": layer, "share": share, "source": "my notes", "as_of": D}]}

    return Universe(id="my-grid", name="My grid names", chain=load_chain(), companies=(
        company("GRIDA", "grid", 0.6), company("GRIDB", "grid", 0.3),
        company("CHIP", "hbm", 0.4)))


@pytest.fixture
def own_file(tmp_path: Path) -> Path:
    return save_universe(_own_universe(), tmp_path / "mine.toml")


def test_builtin_ids_are_the_ids_of_the_shipped_universes():
    assert {load_universe(name).id for name in BUILTIN_UNIVERSES} == BUILTIN_UNIVERSE_IDS


def test_only_builtin_data_carries_the_disclaimer():
    builtin = load_universe()
    assert builtin.builtin_data and builtin.disclaimer == DATA_DISCLAIMER
    own = _own_universe()
    assert not own.builtin_data and own.disclaimer is None
    # A copy of the built-in universe that keeps its id is still the built-in data.
    trimmed = builtin.model_copy(update={"companies": builtin.companies[:5]})
    assert trimmed.disclaimer == DATA_DISCLAIMER


def test_a_saved_user_universe_has_no_disclaimer(own_file: Path):
    text = own_file.read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header == ["# thesis-lib universe (chain, links and evidence inline)."]
    lowered = text.lower()
    assert not [word for word in NOT_IN_A_USER_FILE if word in lowered]
    assert load_universe(own_file) == _own_universe()


def test_a_saved_copy_of_the_builtin_universe_notes_where_it_came_from(tmp_path: Path):
    builtin = load_universe()
    path = save_universe(builtin, tmp_path / "copy.toml")
    text = path.read_text(encoding="utf-8")
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert "Saved from thesis-lib's built-in data (ai-compute-2026)" in header
    assert DATA_DISCLAIMER in header
    again = load_universe(path)
    assert again == builtin and again.disclaimer == DATA_DISCLAIMER


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_cli_prints_the_disclaimer_for_the_builtin_universe_only(cli, own_file: Path,
                                                                 tmp_path: Path, fmt: str):
    builtin = cli("screen", "--format", fmt)
    assert builtin.status == 0 and DATA_DISCLAIMER in builtin.out
    copy = save_universe(load_universe(), tmp_path / "copy.toml")
    assert DATA_DISCLAIMER in cli("screen", "--universe", str(copy), "--format", fmt).out
    own = cli("screen", "--universe", str(own_file), "--format", fmt)
    assert own.status == 0, own.err
    assert "GRIDA" in own.out and f"universe {own_file}" in own.out
    lowered = own.out.lower()
    assert "illustrative" not in lowered and "investment advice" not in lowered


def test_cli_json_of_a_user_universe_has_no_disclaimer(cli, own_file: Path):
    own = cli("screen", "--universe", str(own_file), "--format", "json")
    assert own.status == 0
    assert "illustrative" not in json.dumps(json.loads(own.out)).lower()
