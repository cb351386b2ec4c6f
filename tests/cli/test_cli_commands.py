"""`thesis validate`, `thesis layers`, `thesis test`, and what every command shares."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest
from support import WATCHLIST, run_subprocess

import thesis_lib as tl
from thesis_lib.loading import data_path

EXAMPLES = Path(__file__).parents[2] / "examples"


# -- validate -----------------------------------------------------------------------------
def test_validate_accepts_every_kind_of_valid_file():
    files = [data_path("universe.toml"), data_path("packs/one-layer-down.toml"),
             EXAMPLES / "watchlist.toml", data_path("chain.toml"), data_path("evidence.toml"),
             data_path("links.toml")]
    ran = run_subprocess("validate", *map(str, files))
    assert ran.status == 0, ran.out + ran.err
    lines = ran.out.splitlines()
    assert "ok, universe 'ai-compute-2026': 55 companies (50 listed), 14 layers, 63 links" \
        in lines[0]
    assert "ok, pack 'one-layer-down'" in lines[1]
    assert "ok, watchlist 'one-layer-down-top10'" in lines[2]
    assert "ok, chain 'ai-compute'" in lines[3] and "ok, evidence" in lines[4]
    assert "ok, links: 53 supplies, 10 stakes" in lines[5]
    assert lines[-1] == "6 of 6 files valid"


def test_validate_reports_every_problem_with_file_location_and_fix(cli, tmp_path: Path):
    pack = tmp_path / "pack.toml"
    pack.write_text('id = "p"\n[[rules]]\nid = "a"\nexpression = \'exposure("hbmm") + fo\'\n'
                    'why = "w"\n[[rules]]\nid = "b"\nkind = "scroe"\nexpression = "1"\n'
                    'why = "w"\n', encoding="utf-8")
    universe = tmp_path / "universe.toml"
    universe.write_text('id = "u"\n[[companies]]\nticker = "A"\nname = "A"\ncountry = "US"\n'
                        'currency = "USD"\n[[companies.exposures]]\nlayer = "hbmm"\n'
                        'share = 0.5\nsource = "s"\nas_of = 2026-01-01\n', encoding="utf-8")
    watch = tmp_path / "watch.toml"
    watch.write_text(WATCHLIST.replace('"MU"]', '"MUU"]').replace('min_change = 5', '')
                     .replace('kind = "leaves_top"', 'kind = "leave_top"'), encoding="utf-8")
    (tmp_path / "universe.toml").touch()
    ran = cli("validate", str(pack), str(universe), str(watch), str(tmp_path / "none.toml"))
    assert ran.status == 1
    out = ran.out
    assert f"{pack} (pack): 3 problems" in out
    assert f"{pack}: rule 'a': expression, col 10: unknown layer 'hbmm' (did you mean " \
           "'hbm'?)" in out
    assert f"{pack}: rule 'b': kind:" in out
    assert f"{universe} (universe): 1 problem" in out
    assert f"{universe}: company 'A': exposures[0].layer: unknown layer 'hbmm'" in out
    assert f"{watch}: alert 'dropped': kind: unknown alert kind 'leave_top' (did you mean " \
           "'leaves_top'" in out
    assert f"{watch}: alert 'big-move': min_change: required field is missing" in out
    assert f"{tmp_path / 'none.toml'}: file not found (check the path)" in out
    assert out.splitlines()[-1] == "0 of 4 files valid"


def test_validate_checks_what_a_watchlist_refers_to(cli, tmp_path: Path):
    shutil.copy(data_path("universe.toml"), tmp_path / "universe.toml")
    shutil.copy(data_path("evidence.toml"), tmp_path / "evidence.toml")
    shutil.copy(data_path("links.toml"), tmp_path / "links.toml")
    watch = tmp_path / "w.toml"
    watch.write_text(WATCHLIST.replace('"MU"]', '"MUU"]').replace('gate = "listed"',
                                                                  'gate = "intensity"'),
                     encoding="utf-8")
    ran = cli("validate", str(watch))
    assert ran.status == 1
    assert "always_show[1]: unknown ticker 'MUU' (did you mean 'MU'?)" in ran.out
    assert "alert 'went-private': gate: a rule that cannot exclude 'intensity'" in ran.out


def test_validate_unknown_content_and_kind_override(cli, tmp_path: Path):
    odd = tmp_path / "odd.toml"
    odd.write_text('colour = "red"\n', encoding="utf-8")
    ran = cli("validate", str(odd))
    assert ran.status == 1 and "cannot tell what kind of file this is" in ran.out
    forced = cli("validate", "--kind", "watchlist", str(odd))
    assert forced.status == 1 and "colour: unknown field" in forced.out


# -- layers -------------------------------------------------------------------------------
def test_layers_tree_with_counts(cli):
    ran = cli("layers")
    assert ran.status == 0
    universe = tl.load_universe()
    raw = ran.out.splitlines()
    assert all(len(line) <= 100 for line in raw)
    body = raw[raw.index(next(x for x in raw if x.startswith("layer "))) + 1:]
    body = body[:body.index("")]
    rows = [line for line in body if line.strip() and not line.startswith(" " * 30)]
    lines = {line.split()[0].rstrip("*"): line for line in rows}
    indent = {line.split()[0].rstrip("*"): len(line) - len(line.lstrip()) for line in rows}
    assert set(lines) == {layer[:9] + "~" if len(layer) > 18 else layer
                          for layer in universe.chain.ids}
    for layer in ("hbm", "equipment", "dc_power", "networking"):
        assert f" {len(universe.companies_in(layer)):>4}  " in lines[layer]
    assert indent["equipment"] > indent["hbm"] > indent["accelerators"] > indent["cloud"] \
        > indent["frontier_labs"]
    # Binding constraints are marked and listed with what they are.
    assert lines["grid"].split()[0] == "grid*" and lines["cloud"].split()[0] == "cloud"
    assert "grid interconnection queues" in ran.out


def test_layers_json(cli):
    doc = json.loads(cli("layers", "--format", "json").out)
    rows = {r["layer"]: r for r in doc["layers"]}
    assert rows["accelerators"]["below"] == ["hbm", "packaging", "foundry"]
    assert rows["hbm"]["below"] == rows["foundry"]["below"] == ["equipment"]
    assert rows["power"]["below"] == ["generation_equipment"]
    assert rows["frontier_labs"]["tier"] == 0 and doc["companies"] == 55
    assert rows["foundry"]["constraint"] and rows["networking"]["constraint"] is None


# -- links --------------------------------------------------------------------------------
def test_links_down_lists_suppliers_with_sources(cli):
    ran = cli("links", "NVDA", "--down", "1")
    assert ran.status == 0, ran.err
    assert all(len(line) <= 100 or "<http" in line for line in ran.out.splitlines())
    suppliers = [line.split()[1] for line in ran.out.splitlines() if line.startswith("  <- ")]
    assert {"000660.KS", "MU", "005930.KS", "TSM"} <= set(suppliers)
    assert "customers" not in ran.out and "stakes" not in ran.out
    hynix = next(i for i, x in enumerate(ran.out.splitlines()) if " 000660.KS " in x)
    line, source = ran.out.splitlines()[hynix:hynix + 2]
    assert "hbm" in line and "27% of 000660.KS revenue" in line
    assert source.strip().startswith("source: ") and "https://" in ran.out


def test_links_two_steps_down_reach_the_equipment_under_hbm(cli):
    ran = cli("links", "nvda", "--down", "2")
    rows = [line for line in ran.out.splitlines() if "<- " in line]
    hanmi = next(line for line in rows if "042700.KS" in line)
    hynix = next(line for line in rows if "000660.KS" in line)
    assert hanmi.index("<-") > hynix.index("<-")  # indented one step deeper
    assert "equipment" in hanmi
    assert "042700.KS" in cli("links", "000660.KS", "--down", "1").out


def test_links_of_a_lab_show_its_lanes_and_its_investors_as_stakes(cli):
    out = cli("links", "ANTHROPIC").out
    lanes, stakes = out.split("stakes (investments, not revenue):")
    for lane in ("AMZN", "GOOGL", "SPCX"):
        assert f"<- {lane}" in lanes
    assert "<- AMZN" in stakes and "invested in it, $8.0bn" in stakes
    assert "<- GOOGL" in stakes


def test_links_json_and_mistakes(cli):
    doc = json.loads(cli("links", "000660.KS", "--up", "2", "--format", "json").out)
    assert doc["suppliers"] == [] and doc["customers"][0]["customer"] == "NVDA"
    assert {c["step"] for c in doc["customers"]} == {1, 2}
    ran = cli("links", "NVDX")
    assert ran.status == 1 and "unknown ticker 'NVDX'" in ran.err and "'NVDA'" in ran.err
    ran = cli("links", "NVDA", "--down", "1", "--up", "1")
    assert ran.status == 1 and "not both" in ran.err


# -- test ---------------------------------------------------------------------------------
class FakeReport:
    def __init__(self, ok: bool, pack: object, universe: object) -> None:
        self.ok = ok
        self.failures = () if ok else ("x",)
        self.text = f"fake report for {getattr(pack, 'id', pack)} against {universe}: " + (
            "all passed" if ok else "1 failed")

    def __str__(self) -> str:
        return self.text


@pytest.mark.parametrize(("ok", "status"), [(True, 0), (False, 1)])
def test_test_command_calls_check_pack(cli, monkeypatch, ok, status):
    calls = []

    def check_pack(pack, universe=None):
        calls.append((pack.id, universe))
        return FakeReport(ok, pack, universe)

    fake = types.ModuleType("thesis_lib.testing.expectations")
    fake.check_pack = check_pack  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "thesis_lib.testing.expectations", fake)
    ran = cli("test", "one-layer-down", "--universe", "ai-compute-2026")
    assert ran.status == status
    assert calls == [("one-layer-down", "ai-compute-2026")]
    assert "fake report for one-layer-down against ai-compute-2026" in ran.out


def test_test_command_without_the_expectations_module(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "thesis_lib.testing.expectations", None)
    ran = cli("test", "one-layer-down")
    assert ran.status == 1
    assert "pack tests need thesis_lib.testing.expectations" in ran.err


def test_test_command_runs_real_expectations(tmp_path: Path):
    pytest.importorskip("thesis_lib.testing.expectations")
    failing = tmp_path / "failing.toml"
    failing.write_text(data_path("packs/one-layer-down.toml").read_text(encoding="utf-8")
                       + '\n[[expect]]\nid = "nvidia-first"\nabove = ["NVDA", "MU"]\n',
                       encoding="utf-8")
    good = run_subprocess("test", "one-layer-down")
    assert good.status == 0, good.out + good.err
    assert "PASS" in good.out and "FAIL" not in good.out
    bad = run_subprocess("test", "one-layer-down", str(failing), "no-such-pack")
    assert bad.status == 1
    assert "FAIL" in bad.out and "nvidia-first" in bad.out
    assert "no-such-pack: cannot run its expectations" in bad.out
    assert bad.out.rstrip().endswith("1 of 3 packs passed")


# -- shared behaviour ---------------------------------------------------------------------
def test_no_command_prints_short_usage_to_stderr_and_exits_2(cli):
    ran = cli()
    assert ran.status == 2
    assert ran.out == ""
    assert ran.err.startswith("usage: thesis ")
    assert len(ran.err.splitlines()) <= 4  # the usage, not the full help
    assert "examples:" not in ran.err
    for command in ("screen", "explain", "validate", "layers", "links", "scenarios", "watch",
                    "test"):
        assert command in ran.err


def test_help_and_version():
    ran = run_subprocess("--help")
    assert ran.status == 0 and "exit status: 0 ok, 1 error, 2 usage, 3 watch alerts" in ran.out
    assert run_subprocess("--version").out.startswith("thesis-lib ")


def test_unexpected_errors_are_one_line_unless_debug(cli, monkeypatch):
    from thesis_lib.cli import _layers

    def boom(args):
        raise RuntimeError("something broke")

    monkeypatch.setattr(_layers, "layers_command", boom)
    ran = cli("layers")
    assert ran.status == 1
    assert "thesis layers: error: internal error: RuntimeError: something broke" in ran.err
    assert "--debug" in ran.err and "Traceback" not in ran.err
    with pytest.raises(RuntimeError, match="something broke"):
        cli("layers", "--debug")


def test_broken_pipe_while_writing_keeps_the_exit_status(cli, monkeypatch):
    class ClosedPipe:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self) -> int:
            raise OSError("no descriptor")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert cli("validate", str(Path("no-such-file.toml"))).status == 1


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_cron_script_acts_on_the_exit_status(watch_dir: Path, tmp_path: Path):
    from support import edit_universe

    runner = tmp_path / "thesis"
    runner.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m thesis_lib.cli "$@"\n',
                      encoding="utf-8")
    runner.chmod(0o755)
    env = {**os.environ, "THESIS": str(runner), "THESIS_STATE": str(tmp_path / "state"),
           "THESIS_NOTIFY": "grep '!'", "CI": "1"}
    script = str(EXAMPLES / "cron_watch.sh")
    wl = str(watch_dir / "watchlist.toml")

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", script, wl], capture_output=True, text=True, env=env,
                              timeout=60, check=False)

    first = run()
    assert first.returncode == 0 and "no alerts" in first.stdout
    edit_universe(watch_dir / "universe.toml", shares={("005930.KS", "hbm"): 0.30})
    second = run()
    assert second.returncode == 0 and "alerts fired" in second.stdout
    assert "! samsung-breaks-out: 005930.KS score rose through 6" in second.stdout
    (watch_dir / "universe.toml").write_text("broken = [", encoding="utf-8")
    third = run()
    assert third.returncode == 1 and "failed (exit 1)" in third.stderr
    assert len(list((tmp_path / "state").glob("core-*.json"))) == 2


def test_help_and_version_import_no_pandas():
    code = ("import sys\nfrom thesis_lib.cli import main\n"
            "assert main(['--help']) == 0 and main(['--version']) == 0\n"
            "print(sorted(m for m in ('pandas', 'numpy', 'pydantic', 'scipy') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]"
    done = subprocess.run([sys.executable, "-c", "import sys, thesis_lib\n"
                           "print('pandas' in sys.modules, 'scipy' in sys.modules)"],
                          capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.split() == ["False", "False"]
