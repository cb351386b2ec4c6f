"""The code in the README and the docs runs as written, and what they print is what the
commands print.

Every ```python block of a file runs in one namespace per file, in order, from the
repository root (offline; plots to a file-less backend), except a block right after a
``<!-- not run: ... -->`` line, which needs files of the reader's own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(?:^(<!-- not run[^\n]*-->)\n)?```python\n(.*?)```", re.S | re.M)


def _blocks(path: Path) -> list[tuple[bool, str]]:
    return [(not marker, code) for marker, code in
            BLOCK.findall(path.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
@pytest.mark.filterwarnings("ignore::thesis_lib.market.MarketDataWarning")
def test_the_code_blocks_run(path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    ran = 0
    for runnable, code in _blocks(path):
        if runnable:
            exec(compile(code, str(path), "exec"), namespace)  # the document's own code
            ran += 1
    capsys.readouterr()
    skipped = sum(not r for r, _ in _blocks(path))
    assert ran or not _blocks(path) or skipped == len(_blocks(path))


def test_every_document_is_linked_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "docs").glob("*.md")):
        assert f"(docs/{path.name})" in readme, path.name
    assert len(readme.splitlines()) <= 250


def test_links_between_documents_resolve() -> None:
    for path in FILES:
        for target in re.findall(r"\]\(((?:docs/)?[\w.-]+\.md)\)", path.read_text(
                encoding="utf-8")):
            base = ROOT if path.name == "README.md" else path.parent
            assert (base / target).exists() or (ROOT / target).exists(), (path.name, target)
