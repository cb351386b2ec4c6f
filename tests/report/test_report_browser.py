"""The report in a real headless browser (Chromium from the system packages).

Each test starts Chromium itself on a ``file://`` URL, bounded by a timeout: the page
loads without console messages, the ranking has one row per ranked company, the URL
fragment ``#company-<ticker>`` opens that company's explanation, and a screenshot is not
blank. Skipped, with the reason, when no Chromium is installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

import thesis_lib as tl
from thesis_lib.report import write_report

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER = os.environ.get("THESIS_CHROMIUM") or next(
    (found for name in _NAMES if (found := shutil.which(name))), None)
TIMEOUT = 90

pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason="no chromium binary on PATH (install the 'chromium' system package, e.g. "
           "`apt-get install -y chromium`, or set THESIS_CHROMIUM to its path)")

CONSOLE = re.compile(r"CONSOLE[^\]]*\]\s*(.*)")


def run_browser(tmp_path: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    command = [BROWSER, "--headless=new", "--no-sandbox", "--disable-gpu",
               "--no-first-run", "--disable-extensions", "--enable-logging=stderr", "--v=0",
               f"--user-data-dir={tmp_path / 'profile'}", *extra, url]
    ran = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                         check=False)
    assert ran.returncode == 0, ran.stderr[-2000:]
    return ran


def console_messages(stderr: str) -> list[str]:
    return [m.group(1) for line in stderr.splitlines() if (m := CONSOLE.search(line))]


class Dom(HTMLParser):
    """Rows of the ranking, the open <details>, and the text inside each <details>."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.rows: list[str] = []
        self.open: list[str] = []
        self.inside: dict[str, list[str]] = {}
        self._details: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "details" and a.get("class") == "company":
            self.rows.append(str(a["data-ticker"]))
        if tag == "details":
            ident = str(a.get("id") or "")
            self._details.append(ident)
            self.inside[ident] = []
            if "open" in a:
                self.open.append(ident)

    def handle_endtag(self, tag: str) -> None:
        if tag == "details" and self._details:
            self._details.pop()

    def handle_data(self, data: str) -> None:
        if self._details:
            self.inside[self._details[-1]].append(data)


def png_colours(path: Path) -> int:
    """How many distinct pixel colours a (non-interlaced, 8-bit RGB/RGBA) PNG has."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    previous = bytearray(stride)
    colours: set[bytes] = set()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        if y % 4 == 0:  # every fourth line is plenty to tell a page from a blank one
            colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        previous = line
    return len(colours)


@pytest.fixture(scope="module")
def result():
    return tl.screen(tl.load_universe(), "one-layer-down")


@pytest.fixture(scope="module")
def report(result, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(result, tmp_path_factory.mktemp("report") / "report.html")


def test_console_messages_are_seen(tmp_path: Path):
    """The check below could fail: a page that logs is caught."""
    page = tmp_path / "noisy.html"
    page.write_text("<p>x</p><script>console.error('boom'); missing();</script>",
                    encoding="utf-8")
    ran = run_browser(tmp_path, page.as_uri(), "--dump-dom")
    messages = console_messages(ran.stderr)
    assert any("boom" in m for m in messages)
    assert any("missing is not defined" in m for m in messages)


def test_report_loads_cleanly_with_one_row_per_ranked_company(result, report, tmp_path):
    ran = run_browser(tmp_path, report.as_uri(), "--dump-dom")
    assert console_messages(ran.stderr) == []
    dom = Dom(ran.stdout)
    ranked = [str(t) for t in result.scores.index if result.scores.at[t, "passed"]]
    assert dom.rows == ranked
    assert dom.open == []  # every explanation closed until asked for


def test_fragment_opens_that_company_with_its_explanation(report, tmp_path):
    ran = run_browser(tmp_path, report.as_uri() + "#company-MU", "--dump-dom")
    assert console_messages(ran.stderr) == []
    dom = Dom(ran.stdout)
    assert dom.open == ["company-MU"]
    text = "".join(dom.inside["company-MU"])
    assert "MU (Micron Technology): rank" in text and "contributions, largest first:" in text


def test_screenshot_is_not_blank(report, tmp_path):
    shot = tmp_path / "report.png"
    run_browser(tmp_path, report.as_uri(), f"--screenshot={shot}", "--window-size=1280,1600",
                "--hide-scrollbars")
    assert shot.stat().st_size > 10_000
    assert png_colours(shot) > 50


def test_blank_page_counts_as_blank(tmp_path):
    """The check above could fail: an empty page has one colour."""
    page = tmp_path / "blank.html"
    page.write_text("<html><body></body></html>", encoding="utf-8")
    shot = tmp_path / "blank.png"
    run_browser(tmp_path, page.as_uri(), f"--screenshot={shot}", "--window-size=400,300",
                "--hide-scrollbars")
    assert png_colours(shot) == 1


def test_notebook_html_of_the_screen_renders(result, tmp_path):
    """What a notebook shows for a ScreenResult, in the same browser."""
    page = tmp_path / "notebook.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
                    + result._repr_html_() + "</body></html>", encoding="utf-8")
    ran = run_browser(tmp_path, page.as_uri(), "--dump-dom")
    assert console_messages(ran.stderr) == []
    assert "<table" in ran.stdout and f">{result.scores.index[0]}<" in ran.stdout
    shot = tmp_path / "notebook.png"
    run_browser(tmp_path, page.as_uri(), f"--screenshot={shot}", "--window-size=1280,900",
                "--hide-scrollbars")
    assert png_colours(shot) > 20
