from __future__ import annotations

import math
from pathlib import Path

import pytest

from thesis_lib import DataError, ThesisError, load_universe, save_universe

HEADER = 'id = "mine"\nchain = "ai-compute"\n'

MICRON = """
[[companies]]
ticker = "MU"
name = "Micron Technology"
country = "US"
currency = "USD"

[[companies.exposures]]
layer = "hbm"
share = 0.25
confidence = 0.6
source = "estimate"
as_of = 2026-05-07
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "universe.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _only_problem(error: ThesisError) -> tuple[str | None, str | None, str | None]:
    assert len(error.problems) == 1, error.problems
    p = error.problems[0]
    return p.file, p.item, p.field


def test_valid_user_file_loads(tmp_path: Path) -> None:
    universe = load_universe(_write(tmp_path, HEADER + MICRON))
    assert universe.tickers == ("MU",)
    assert universe.company("MU").share("hbm") == 0.25
    assert "hbm" in universe.chain


def test_unknown_layer_names_file_company_field(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + MICRON.replace('layer = "hbm"', 'layer = "hmb"'))
    with pytest.raises(DataError) as info:
        load_universe(path)
    assert _only_problem(info.value) == (str(path), "company 'MU'", "exposures[0].layer")
    assert "did you mean 'hbm'" in str(info.value)


def test_share_over_one_names_file_company_field(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + MICRON.replace("share = 0.25", "share = 1.4"))
    with pytest.raises(DataError) as info:
        load_universe(path)
    assert _only_problem(info.value) == (str(path), "company 'MU'", "exposures[0].share")
    assert "1.4" in str(info.value)
    assert "fractions between 0 and 1" in str(info.value)


def test_shares_summing_past_one(tmp_path: Path) -> None:
    second = '\n[[companies.exposures]]\nlayer = "foundry"\nshare = 0.9\nsource = "x"\n' \
        "as_of = 2026-05-07\n"
    path = _write(tmp_path, HEADER + MICRON + second)
    with pytest.raises(DataError, match=r"company 'MU': exposures\.share: revenue shares add up"):
        load_universe(path)


def test_duplicate_ticker(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + MICRON + MICRON)
    with pytest.raises(DataError) as info:
        load_universe(path)
    assert _only_problem(info.value) == (str(path), "company 'MU'", "ticker")
    assert "duplicate ticker" in str(info.value)


def test_missing_field(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + MICRON.replace('source = "estimate"\n', ""))
    with pytest.raises(DataError) as info:
        load_universe(path)
    assert _only_problem(info.value) == (str(path), "company 'MU'", "exposures[0].source")
    assert "missing" in str(info.value)


def test_misspelt_field_gets_suggestion(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + MICRON.replace("confidence =", "confidnce ="))
    with pytest.raises(DataError, match="did you mean 'confidence'"):
        load_universe(path)


def test_not_toml_at_all(tmp_path: Path) -> None:
    path = _write(tmp_path, "this is { not toml")
    with pytest.raises(DataError) as info:
        load_universe(path)
    assert info.value.file == str(path)
    assert "not valid TOML" in str(info.value)
    assert "line 1" in str(info.value)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "universe.toml"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(DataError, match="not a text file"):
        load_universe(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        load_universe(tmp_path / "nope.toml")


def test_unknown_builtin_name_suggests() -> None:
    with pytest.raises(DataError, match="did you mean 'ai-compute-2026'"):
        load_universe("ai-compute-2025")


def test_every_mistake_reported_at_once(tmp_path: Path) -> None:
    bad = MICRON.replace("share = 0.25", "share = 1.4")
    other = MICRON.replace('"MU"', '"SKH"').replace('layer = "hbm"', 'layer = "hmb"')
    path = _write(tmp_path, HEADER + bad + other.replace('country = "US"', 'country = "usa"'))
    with pytest.raises(DataError) as info:
        load_universe(path)
    located = {(p.item, p.field) for p in info.value.problems}
    assert ("company 'MU'", "exposures[0].share") in located
    assert ("company 'SKH'", "country") in located


def test_relative_chain_and_evidence_files(tmp_path: Path) -> None:
    (tmp_path / "chain.toml").write_text(
        '[[layers]]\nid = "up"\nname = "Up"\n\n[[layers]]\nid = "down"\nname = "Down"\n'
        'supplies = ["up"]\n', encoding="utf-8")
    (tmp_path / "ev.toml").write_text(
        '[[evidence]]\nid = "e1"\nclaim = "c"\nlayers = ["down"]\ndirection = "supports"\n'
        'strength = 0.5\nsource = "s"\ndate = 2026-05-07\n', encoding="utf-8")
    text = 'chain = "chain.toml"\nevidence_file = "ev.toml"\n' + MICRON.replace("hbm", "down")
    universe = load_universe(_write(tmp_path, text))
    assert universe.chain.below("up") == ("down",)
    assert universe.evidence[0].id == "e1"
    # One claim: support 0.5 on "down"; MU earns 25% there; squashed by tanh.
    assert universe.to_frame().loc["MU", "evidence_support"] == pytest.approx(math.tanh(0.125))


def test_save_never_overwrites(tmp_path: Path) -> None:
    universe = load_universe(_write(tmp_path, HEADER + MICRON))
    target = tmp_path / "out.toml"
    target.write_text("precious", encoding="utf-8")
    with pytest.raises(DataError, match="file exists"):
        save_universe(universe, target)
    assert target.read_text(encoding="utf-8") == "precious"
    save_universe(universe, target, overwrite=True)
    assert load_universe(target) == universe


def test_validate_functions_return_every_problem_without_raising(tmp_path: Path) -> None:
    from thesis_lib import validate_pack, validate_scenarios, validate_universe
    from thesis_lib.watch import validate_watchlist

    assert validate_universe() == [] and validate_pack("one-layer-down") == []
    path = _write(tmp_path, HEADER + MICRON.replace("share = 0.25", "share = 1.4")
                  + MICRON.replace('"MU"', '"MU2"').replace("confidence = 0.6",
                                                             "confidence = 2"))
    assert {(p.item, p.field) for p in validate_universe(path)} == {
        ("company 'MU'", "exposures[0].share"), ("company 'MU2'", "exposures[0].confidence")}
    scenarios = tmp_path / "s.toml"
    scenarios.write_text('[[scenarios]]\nid = "x"\nname = "X"\n', encoding="utf-8")
    assert [p.field for p in validate_scenarios(scenarios)] == ["description"]
    assert validate_watchlist(tmp_path / "none.toml")[0].message == "file not found"


def test_a_layer_given_twice_is_named_in_the_message() -> None:
    from thesis_lib import Company

    exposure = {"share": 0.1, "as_of": "2026-01-01", "source": "10-K"}
    with pytest.raises(DataError, match="layer 'hbm' appears twice"):
        Company(ticker="X", name="x", country="US", currency="USD",
                exposures=[{"layer": "hbm", **exposure}, {"layer": "hbm", **exposure}])
