"""Untrusted files and loose input: every file is read as a regular file under a size cap,
and every problem is a typed error that names the file and says how to fix it.

Nothing here may hang: special files are refused before they are opened, and the FIFO
tests run under an alarm that turns a regression into a failure instead of a stuck run.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from thesis_lib import (
    DataError,
    MarketDataError,
    RuleError,
    ThesisError,
    load_chain,
    load_evidence,
    load_pack,
    load_scenarios,
    load_universe,
)
from thesis_lib._files import (
    DEFAULT_MAX_FILE_BYTES,
    MAX_FILE_BYTES_ENV,
    MAX_JSON_DEPTH,
    loads_json,
    read_bytes,
    read_text,
)
from thesis_lib.market import FrameProvider
from thesis_lib.testing import check_pack
from thesis_lib.watch import SnapshotStore, load_watchlist, parse_watchlist
from thesis_lib.watch.validate import watchlist_problems

EXAMPLES = Path(__file__).parents[1] / "examples"
TOY = (EXAMPLES / "packs" / "toy-universe.toml").read_text(encoding="utf-8")
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX special files")

PACK = '''
id = "mine"
version = "0.1.0"

[[rules]]
id = "hbm"
expression = 'exposure("hbm")'
why = "HBM is the bottleneck."
'''


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Fail (instead of blocking forever) if the code under test waits on a FIFO."""
    if not hasattr(signal, "setitimer"):  # pragma: no cover - POSIX only
        yield
        return

    def alarm(signum: int, frame: object) -> None:
        raise TimeoutError("blocked on a special file")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, 20)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def fifo(tmp_path: Path, no_hang: None) -> Path:
    if not hasattr(os, "mkfifo"):  # pragma: no cover - POSIX only
        pytest.skip("needs os.mkfifo")
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)
    return path


def _names_file_and_fix(error: ThesisError, path: Path | str, *words: str) -> None:
    text = str(error)
    assert str(path) in text, text
    assert error.hint, f"no fix given: {text}"
    for word in words:
        assert word in text, text


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- special files ----------------------------------------------------------------------------


@POSIX
def test_a_fifo_is_refused_by_every_loader_before_it_is_opened(fifo: Path) -> None:
    for load, error in ((load_universe, DataError), (load_chain, DataError),
                        (load_evidence, DataError), (load_scenarios, DataError),
                        (load_pack, RuleError), (load_watchlist, DataError)):
        with pytest.raises(error) as info:
            load(fifo)
        _names_file_and_fix(info.value, fifo, "FIFO", "ordinary file")


@POSIX
def test_a_fifo_named_inside_a_file_is_refused(tmp_path: Path, fifo: Path) -> None:
    for key in ("chain", "evidence_file", "links_file"):
        universe = _write(tmp_path / f"u-{key}.toml", TOY.replace(
            'chain = "ai-compute"', f'{key} = "{fifo.name}"'))
        with pytest.raises(DataError) as info:
            load_universe(universe)
        _names_file_and_fix(info.value, fifo, "FIFO")
    pack = _write(tmp_path / "p.toml", f'chain = "{fifo.name}"\n' + PACK)
    with pytest.raises(ThesisError) as err:
        load_pack(pack)
    _names_file_and_fix(err.value, fifo, "FIFO")
    watchlist = _write(tmp_path / "w.toml", f'universe = "{fifo.name}"\ntop = 5\n')
    problems = watchlist_problems(watchlist)
    assert any("FIFO" in str(p) for p in problems), problems


@POSIX
def test_an_expectation_universe_at_a_fifo_fails_that_expectation(
    tmp_path: Path, fifo: Path
) -> None:
    pack = _write(tmp_path / "p.toml", PACK + f'''
[[expect]]
above = ["MU", "NVDA"]
universe = "{fifo.name}"
''')
    report = check_pack(pack)
    assert not report.ok
    assert "FIFO" in str(report.results[0].actual)


@POSIX
def test_a_fifo_as_prices_or_the_newest_snapshot_is_refused(tmp_path: Path,
                                                            fifo: Path) -> None:
    with pytest.raises(MarketDataError) as info:
        FrameProvider.from_file(fifo)
    _names_file_and_fix(info.value, fifo, "FIFO")
    store = SnapshotStore(tmp_path / "state", "core")
    store.directory.mkdir()
    os.mkfifo(store.directory / "core-20260520T070001Z.json")
    with pytest.raises(DataError) as err:
        store.load_latest()
    _names_file_and_fix(err.value, "core-20260520T070001Z.json", "FIFO")


@POSIX
def test_dev_zero_is_refused_as_a_device(tmp_path: Path, no_hang: None) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    universe = _write(tmp_path / "u.toml", TOY.replace('chain = "ai-compute"',
                                                       'chain = "/dev/zero"'))
    with pytest.raises(DataError) as info:
        load_universe(universe)
    _names_file_and_fix(info.value, "/dev/zero", "a device")
    with pytest.raises(DataError):
        read_bytes("/dev/zero", limit=10)


def test_a_directory_says_so_and_how_to_fix_it(tmp_path: Path) -> None:
    folder = tmp_path / "universe.toml"
    folder.mkdir()
    with pytest.raises(DataError) as info:
        load_universe(folder)
    _names_file_and_fix(info.value, folder, "is a directory", "a file inside it")


@POSIX
def test_a_symlink_loop_says_so(tmp_path: Path) -> None:
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.symlink_to(second)
    second.symlink_to(first)
    with pytest.raises(DataError) as info:
        load_universe(first)
    _names_file_and_fix(info.value, first, "symbolic link loop", "point the link")
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(RuleError) as err:
        load_pack(str(loop))  # no suffix, yet a link is there: read it, not a pack name
    _names_file_and_fix(err.value, loop, "symbolic link loop")


def test_a_nul_byte_in_a_path_is_a_typed_error(tmp_path: Path) -> None:
    bad = str(tmp_path / "uni\x00verse.toml")
    for load, error in ((load_universe, DataError), (load_pack, RuleError),
                        (load_watchlist, DataError), (load_chain, DataError),
                        (FrameProvider.from_file, MarketDataError)):
        with pytest.raises(error) as info:
            load(bad)
        assert "NUL byte" in str(info.value)
        assert "\\x00" in str(info.value)  # shown escaped, never raw
        assert info.value.hint
    universe = _write(tmp_path / "u.toml", TOY.replace(
        'chain = "ai-compute"', 'chain = "a\\u0000b.toml"'))
    with pytest.raises(DataError, match="NUL byte"):
        load_universe(universe)
    pack = _write(tmp_path / "p.toml", PACK + '''
[[expect]]
above = ["MU", "NVDA"]
universe = "x\\u0000.toml"
''')
    report = check_pack(pack)
    assert "NUL byte" in str(report.results[0].actual)


# -- size cap ---------------------------------------------------------------------------------


def test_a_file_over_the_cap_is_refused_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = tmp_path / "huge.toml"
    with huge.open("wb") as handle:  # sparse: no disk space used
        handle.truncate(DEFAULT_MAX_FILE_BYTES + 1)
    with pytest.raises(DataError) as info:
        load_universe(huge)
    _names_file_and_fix(info.value, huge, "too large", MAX_FILE_BYTES_ENV)

    small = _write(tmp_path / "small.toml", TOY)
    monkeypatch.setenv(MAX_FILE_BYTES_ENV, "100")
    with pytest.raises(DataError, match="the limit is 100 bytes"):
        load_universe(small)
    monkeypatch.setenv(MAX_FILE_BYTES_ENV, "10_000")  # the toy and the built-in chain fit
    assert len(load_universe(small).companies) == 3
    monkeypatch.setenv(MAX_FILE_BYTES_ENV, "lots")
    with pytest.raises(DataError) as err:
        load_universe(small)
    assert MAX_FILE_BYTES_ENV in str(err.value) and err.value.hint
    assert read_bytes(small, limit=len(TOY.encode())) == TOY.encode()


# -- encodings --------------------------------------------------------------------------------


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    universe = tmp_path / "bom.toml"
    universe.write_bytes(b"\xef\xbb\xbf" + TOY.encode())
    assert [c.ticker for c in load_universe(universe)] == ["HBMCO", "GPUCO", "LABCO"]
    pack = tmp_path / "bom-pack.toml"
    pack.write_bytes(b"\xef\xbb\xbf" + PACK.encode())
    assert load_pack(pack).id == "mine"
    prices = tmp_path / "bom.csv"
    prices.write_bytes(b"\xef\xbb\xbfdate,ticker,close\n2026-05-18,MU,100\n")
    assert FrameProvider.from_file(prices).tickers == ["MU"]


def test_non_utf8_bytes_name_the_line_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(TOY.replace('"HBM Co"', '"HBM Caf\xe9"').encode("latin-1"))
    with pytest.raises(DataError) as info:
        load_universe(path)
    line = TOY.splitlines().index('name = "HBM Co"') + 1
    _names_file_and_fix(info.value, path, "not a text file in UTF-8", f"line {line}",
                        "save it as UTF-8")
    utf16 = tmp_path / "utf16.toml"
    utf16.write_bytes(TOY.encode("utf-16"))
    with pytest.raises(DataError, match="UTF-16"):
        load_universe(utf16)


# -- nesting ----------------------------------------------------------------------------------


def test_deeply_nested_json_is_a_typed_error_not_a_recursion_error(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, "core")
    newest = tmp_path / "core-20260520T070001Z.json"
    newest.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    with pytest.raises(DataError) as info:
        store.load_latest()
    _names_file_and_fix(info.value, newest, f"deeper than {MAX_JSON_DEPTH}", "move it aside")
    assert loads_json('{"a": "[[[[[[", "b": [[1]]}', max_depth=3) == {"a": "[[[[[[",
                                                                      "b": [[1]]}
    with pytest.raises(DataError, match="at line 3"):
        loads_json('{\n"a":\n[[[1]]]}', max_depth=3)


def test_deeply_nested_toml_is_a_typed_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "deep.toml", "x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(RuleError) as info:
        load_pack(path)
    _names_file_and_fix(info.value, path, "nested too deeply")


# -- CSV --------------------------------------------------------------------------------------


def test_a_truncated_last_csv_row_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "prices.csv",
                  "date,ticker,close\n2026-05-18,MU,100\n2026-05-19,MU")
    with pytest.raises(MarketDataError) as info:
        FrameProvider.from_file(path)
    _names_file_and_fix(info.value, path, "line 3 has 2 fields but the header has 3",
                        "cut short")


def test_a_bad_csv_line_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "prices.csv",
                  "date,ticker,close\n\n2026-05-18,MU,100,7\n2026-05-19,MU,101\n")
    with pytest.raises(MarketDataError) as info:
        FrameProvider.from_file(path)
    _names_file_and_fix(info.value, path, "line 3 has 4 fields")
    assert "cut short" not in str(info.value)
    quote = _write(tmp_path / "quote.csv", 'date,ticker,close\n2026-05-18,"MU,100\n')
    with pytest.raises(MarketDataError, match="line 2"):
        FrameProvider.from_file(quote)
    empty = _write(tmp_path / "empty.csv", "")
    with pytest.raises(MarketDataError) as err:
        FrameProvider.from_file(empty)
    _names_file_and_fix(err.value, empty, "empty")


# -- loose values -----------------------------------------------------------------------------


def test_an_empty_universe_file_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "empty.toml", "")
    with pytest.raises(DataError) as info:
        load_universe(path)
    _names_file_and_fix(info.value, path, "empty", "[[companies]]")


def test_an_empty_watchlist_file_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "empty.toml", "# nothing yet\n")
    with pytest.raises(DataError) as info:
        load_watchlist(path)
    _names_file_and_fix(info.value, path, "empty", "top = 10")
    assert any("empty" in str(p) for p in watchlist_problems(path))


@pytest.mark.parametrize("value", ['"yes"', '"true"', "1", "0"])
def test_booleans_must_be_booleans(tmp_path: Path, value: str) -> None:
    path = _write(tmp_path / "u.toml", TOY.replace("listed = false", f"listed = {value}"))
    with pytest.raises(DataError) as info:
        load_universe(path)
    _names_file_and_fix(info.value, path, "company 'LABCO'", "listed",
                        "write true or false, without quotes")
    pack = _write(tmp_path / "p.toml", PACK + f"\n[basket]\nbuffer_fill = {value}\n")
    with pytest.raises(ThesisError, match="buffer_fill"):
        load_pack(pack)


def test_negative_prices_volumes_and_shares_are_rejected(tmp_path: Path) -> None:
    prices = _write(tmp_path / "prices.csv",
                    "date,ticker,close,volume\n2026-05-18,MU,100,5\n2026-05-19,MU,-1,5\n")
    with pytest.raises(MarketDataError) as info:
        FrameProvider.from_file(prices)
    _names_file_and_fix(info.value, prices, "ticker 'MU'",
                        "close: -1 on 2026-05-19 is negative", "0 or more")
    volume = _write(tmp_path / "volume.csv",
                    "date,ticker,close,volume\n2026-05-18,MU,100,-5\n")
    with pytest.raises(MarketDataError, match="-5 on 2026-05-18 is negative"):
        FrameProvider.from_file(volume)
    good = _write(tmp_path / "good.csv", "date,ticker,close\n2026-05-18,MU,100\n")
    snapshot = _write(tmp_path / "snap.csv", "ticker,currency,shares\nMU,USD,-5\n")
    with pytest.raises(MarketDataError) as err:
        FrameProvider.from_file(good, snapshot=snapshot)
    _names_file_and_fix(err.value, snapshot, "ticker 'MU'", "shares: -5 is negative")
    with pytest.raises(MarketDataError, match="is negative"):
        FrameProvider(pd.DataFrame({"date": ["2026-05-18"], "ticker": ["MU"],
                                    "close": [-3.0]}))
    losses = _write(tmp_path / "pe.csv", "ticker,currency,shares,pe_trailing\nMU,USD,5,-12\n")
    FrameProvider.from_file(good, snapshot=losses)  # a negative P/E is a loss, not an error


@pytest.mark.parametrize("kind", ["[]", "{}", "3"])
def test_an_alert_kind_that_is_not_a_string_is_a_typed_error(tmp_path: Path,
                                                             kind: str) -> None:
    path = _write(tmp_path / "w.toml", f'top = 5\n[[alerts]]\nid = "odd"\nkind = {kind}\n'
                                       '[[alerts]]\nkind = "enters_top"\nn = 0\n')
    with pytest.raises(DataError) as info:
        load_watchlist(path)
    _names_file_and_fix(info.value, path, "alert 'odd'", "'kind' must be a string",
                        'kind = "enters_top"')
    assert "alert #2: n:" in str(info.value)  # the rest is still checked
    with pytest.raises(DataError):
        parse_watchlist({"alerts": [{"kind": []}]})


# -- the reader itself ------------------------------------------------------------------------


@POSIX
def test_a_path_swapped_for_a_fifo_after_the_check_still_cannot_block(
    fifo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import thesis_lib._files as files

    monkeypatch.setattr(files, "check_file", lambda *args, **kwargs: None)  # lose the race
    with pytest.raises(DataError) as info:
        read_bytes(fifo)
    _names_file_and_fix(info.value, fifo, "FIFO")


def test_read_text_of_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(RuleError) as info:
        read_text(tmp_path / "none.toml", error=RuleError, what="pack file")
    _names_file_and_fix(info.value, tmp_path / "none.toml", "pack file not found")


# -- as a user runs it ------------------------------------------------------------------------


@POSIX
def test_the_command_line_reports_bad_files_and_exits_non_zero(
    tmp_path: Path, cli, fifo: Path
) -> None:
    empty = _write(tmp_path / "empty.toml", "")
    ran = cli("validate", str(empty))
    assert ran.status == 1
    assert f"{empty}: the file is empty" in ran.out
    ran = cli("screen", "--universe", str(empty))
    assert ran.status != 0
    assert f"{empty}: the universe file is empty" in ran.err
    ran = cli("validate", str(fifo))
    assert ran.status == 1
    assert "not a regular file: it is a FIFO" in ran.out
    ran = cli("screen", "--universe", str(fifo))
    assert ran.status != 0 and "FIFO" in ran.err
    yes = _write(tmp_path / "yes.toml", TOY.replace("listed = false", 'listed = "yes"'))
    ran = cli("validate", str(yes))
    assert ran.status == 1
    assert "company 'LABCO': listed:" in ran.out and "without quotes" in ran.out


@POSIX
def test_the_documented_message_is_what_the_command_prints(
    fifo: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = (Path(__file__).parents[1] / "docs" / "universes-and-packs.md").read_text(
        encoding="utf-8")
    shown = doc[doc.index("$ thesis screen --universe pipe.toml"):].splitlines()[1]
    monkeypatch.chdir(fifo.parent)
    ran = cli("screen", "--universe", fifo.name)
    assert ran.err.strip() == shown
