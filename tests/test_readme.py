"""The README's code must run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
DOCS = README.parent / "docs"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_api_tour_runs() -> None:
    tour = next(b for b in _python_blocks() if "import thesis_lib as tl" in b)
    assert len([line for line in tour.splitlines() if line.strip()]) <= 11
    namespace: dict[str, object] = {}
    exec(compile(tour, "README.md", "exec"), namespace)  # the README's own example code
    result = namespace["result"]
    assert result.scores["rank"].iloc[0] == 1  # type: ignore[attr-defined]
    assert namespace["universe"].chain.below("accelerators") == ("hbm", "packaging", "foundry")  # type: ignore[attr-defined]


def test_two_commands_are_the_first_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first = re.search(r"```bash\n(.*?)```", text, flags=re.S)
    assert first is not None
    commands = [line for line in first.group(1).splitlines() if line and not line.startswith("#")]
    assert commands == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/thesis screen",
        'python3 -m venv .venv && .venv/bin/pip install -e ".[dev]" && .venv/bin/python -m pytest',
    ]
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci


def _block_after(marker: str, path: Path = README) -> list[str]:
    text = path.read_text(encoding="utf-8")
    start = text.index(marker) + len(marker)
    return text[start:text.index("```", start)].strip("\n").splitlines()


def test_the_printed_ranking_and_scenario_are_what_the_commands_print(capsys) -> None:
    from thesis_lib.cli import main

    assert main(["screen", "--top", "15"]) == 0
    printed = capsys.readouterr().out.splitlines()
    marker = "On the built-in universe, offline (`thesis screen --top 15`):\n\n```text\n"
    shown = _block_after(marker)
    assert shown == printed[:16]
    assert main(["scenarios", "--only", "permitting-reform"]) == 0
    printed = capsys.readouterr().out.strip("\n").splitlines()
    assert _block_after("$ thesis scenarios --only permitting-reform\n",
                        DOCS / "builtin-thesis.md") == printed


def test_the_explain_example_in_the_docs_is_what_the_command_prints(capsys) -> None:
    from thesis_lib.cli import main

    text = (DOCS / "command-line.md").read_text(encoding="utf-8")
    start = text.index("$ thesis explain 042700.KS\n") + len("$ thesis explain 042700.KS\n")
    shown = text[start:text.index("$ thesis explain NVDAA", start)].rstrip("\n").splitlines()
    assert main(["explain", "042700.KS"]) == 0
    assert capsys.readouterr().out.rstrip("\n").splitlines() == shown


def test_the_two_problem_universe_example_is_what_loading_prints(tmp_path, monkeypatch):
    import thesis_lib as tl

    doc = DOCS / "universes-and-packs.md"
    text = doc.read_text(encoding="utf-8")
    start = text.index("```toml\n# my-universe.toml\n") + len("```toml\n")
    universe = text[start:text.index("```", start)]
    universe = universe[:universe.index("[[links]]")]  # the example's link needs NVDA
    universe = universe.replace('layer = "hbm"', 'layer = "hmb"', 1)
    universe = universe.replace("share = 0.14", "share = 1.4", 1)
    monkeypatch.chdir(tmp_path)
    Path("my-universe.toml").write_text(universe, encoding="utf-8")
    with pytest.raises(tl.DataError) as info:
        tl.load_universe("my-universe.toml")
    printed = f"{type(info.value).__name__}: {info.value}".splitlines()
    assert _block_after("names each problem:\n\n```text\n", doc) == printed


def test_the_as_of_example_in_the_docs_is_what_the_command_prints(capsys) -> None:
    from thesis_lib.cli import main

    shown = _block_after("$ thesis screen --as-of 2026-06-30 --top 3\n",
                         DOCS / "command-line.md")
    assert main(["screen", "--as-of", "2026-06-30", "--top", "3"]) == 0
    assert capsys.readouterr().out.rstrip("\n").splitlines() == shown
