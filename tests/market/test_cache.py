"""CachedProvider: warm hits, per-ticker reuse, TTL, refresh, and surviving broken entries."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from thesis_lib.market import (
    CachedProvider,
    CacheWarning,
    FrameProvider,
    HistoryResult,
    IncompleteDataWarning,
    SnapshotResult,
    default_cache_dir,
)
from thesis_lib.market.base import HistoryFrames, HistoryQuery, TickerNote, finish_history
from thesis_lib.market.testing import check_provider

from .helpers import frame_of_days

DAYS = ["2026-02-23", "2026-02-24", "2026-02-25", "2026-02-26", "2026-02-27"]
START, END = dt.date(2026, 2, 23), dt.date(2026, 2, 27)


class Counting:
    """Delegates to a provider and records every call it receives."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[str, list[str]]] = []

    @property
    def name(self) -> str:
        return str(self.inner.name)

    def history(self, tickers: Sequence[str], start: dt.date, end: dt.date,
                interval: str = "1d") -> HistoryResult:
        self.calls.append(("history", list(tickers)))
        result: HistoryResult = self.inner.history(tickers, start, end, interval)
        return result

    def snapshot(self, tickers: Sequence[str], *, as_of: dt.date | None = None
                 ) -> SnapshotResult:
        self.calls.append(("snapshot", list(tickers)))
        result: SnapshotResult = self.inner.snapshot(tickers, as_of=as_of)
        return result


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _frame_provider() -> FrameProvider:
    prices = frame_of_days(
        {"MU": [400.0, 401.0, 402.0, 403.0, 404.0],
         "000660.KS": [880000.0, 881000.0, 882000.0, 883000.0, 884000.0],
         "KRW=X": [1440.0, 1441.0, 1442.0, 1443.0, 1450.0]},
        DAYS)
    snapshot = pd.DataFrame({"ticker": ["MU", "000660.KS"], "currency": ["USD", "KRW"],
                             "shares": [1.12e9, 7.28e8], "pe_trailing": [31.0, 9.7]})
    return FrameProvider(prices, snapshot=snapshot, name="test-frame",
                         today=lambda: END)


@pytest.fixture
def counting() -> Counting:
    return Counting(_frame_provider())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cached(counting: Counting, tmp_path: Path, clock: Clock) -> CachedProvider:
    return CachedProvider(counting, directory=tmp_path, ttl=dt.timedelta(hours=1), clock=clock,
                          today=lambda: END)


def _entries(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.json"))


def test_second_identical_request_makes_no_call(cached: CachedProvider, counting: Counting
                                                ) -> None:
    first = cached.history(["MU", "000660.KS"], START, END)
    snap1 = cached.snapshot(["MU", "000660.KS"])
    assert len(counting.calls) == 2
    second = cached.history(["MU", "000660.KS"], START, END)
    snap2 = cached.snapshot(["MU", "000660.KS"])
    assert len(counting.calls) == 2  # warm: zero fetches
    pd.testing.assert_frame_equal(first.close, second.close)
    pd.testing.assert_frame_equal(first.volume, second.volume)
    pd.testing.assert_frame_equal(first.status, second.status)
    pd.testing.assert_frame_equal(snap1.data, snap2.data)
    pd.testing.assert_frame_equal(snap1.status, snap2.status)
    pd.testing.assert_frame_equal(snap1.fx, snap2.fx)
    assert snap2.as_of == snap1.as_of == END


def test_cached_tickers_are_reused_and_only_new_ones_fetched(cached: CachedProvider,
                                                             counting: Counting) -> None:
    cached.history(["MU"], START, END)
    result = cached.history(["000660.KS", "MU"], START, END)
    assert counting.calls == [("history", ["MU"]), ("history", ["000660.KS"])]
    assert list(result.close.columns) == ["000660.KS", "MU"]
    assert result.close["MU"].tolist() == [400.0, 401.0, 402.0, 403.0, 404.0]


def test_a_different_date_range_is_a_different_entry(cached: CachedProvider,
                                                     counting: Counting) -> None:
    cached.history(["MU"], START, END)
    cached.history(["MU"], START, dt.date(2026, 2, 26))
    assert len(counting.calls) == 2


def test_ttl_expiry_refetches(cached: CachedProvider, counting: Counting, clock: Clock) -> None:
    cached.snapshot(["MU"])
    clock.now += 3599
    cached.snapshot(["MU"])
    assert len(counting.calls) == 1
    clock.now += 2
    cached.snapshot(["MU"])
    assert len(counting.calls) == 2


def test_refresh_true_refetches_and_rewrites(counting: Counting, tmp_path: Path, clock: Clock
                                             ) -> None:
    warm = CachedProvider(counting, directory=tmp_path, clock=clock)
    warm.history(["MU"], START, END)
    before = _entries(tmp_path)[0].read_text()
    clock.now += 10
    fresh = CachedProvider(counting, directory=tmp_path, clock=clock, refresh=True)
    fresh.history(["MU"], START, END)
    fresh.history(["MU"], START, END)
    assert len(counting.calls) == 3
    assert _entries(tmp_path)[0].read_text() != before  # new "created" stamp
    warm.history(["MU"], START, END)
    assert len(counting.calls) == 3


def test_partial_entry_is_reported_and_refetched(cached: CachedProvider, counting: Counting,
                                                 tmp_path: Path) -> None:
    cached.history(["MU", "000660.KS"], START, END)
    entry = cached.path_for({"provider": "test-frame", "ticker": "MU", "field": "history",
                             "start": "2026-02-23", "end": "2026-02-27", "interval": "1d"})
    text = entry.read_text()
    entry.write_text(text[: len(text) // 2])  # what a torn write would leave
    with pytest.warns(CacheWarning, match="unreadable"):
        result = cached.history(["MU", "000660.KS"], START, END)
    assert counting.calls[-1] == ("history", ["MU"])
    assert result.close["MU"].notna().all()
    assert json.loads(entry.read_text())["key"]["ticker"] == "MU"  # rewritten whole
    cached.history(["MU", "000660.KS"], START, END)
    assert len(counting.calls) == 2


@pytest.mark.parametrize(
    "content",
    ["", "not json", json.dumps({"version": 99, "key": {}, "created": 0, "payload": {}}),
     json.dumps([1, 2, 3])],
)
def test_unreadable_entries_never_crash_the_run(content: str, cached: CachedProvider,
                                                counting: Counting) -> None:
    cached.snapshot(["MU"])
    entry = next(p for p in _entries(cached.directory))
    entry.write_text(content)
    with pytest.warns(CacheWarning):
        result = cached.snapshot(["MU"])
    assert result.status.loc["MU", "status"] == "ok"
    assert len(counting.calls) == 2


def test_entry_for_another_key_is_not_served(cached: CachedProvider, counting: Counting) -> None:
    cached.history(["MU"], START, END)
    cached.history(["000660.KS"], START, END)
    mu, hynix = (cached.path_for({"provider": "test-frame", "ticker": t, "field": "history",
                                  "start": "2026-02-23", "end": "2026-02-27", "interval": "1d"})
                 for t in ("MU", "000660.KS"))
    mu.write_text(hynix.read_text())  # e.g. a file copied by hand
    with pytest.warns(CacheWarning, match="another request"):
        result = cached.history(["MU"], START, END)
    assert result.close["MU"].iloc[0] == 400.0


_KILLED_WRITER = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from thesis_lib.market import cache

    def stuck_replace(src, dst):
        print("written", flush=True)
        sys.stdin.readline()          # hang here until killed
        raise SystemExit("not killed")

    os.replace = stuck_replace
    cache.atomic_write_text(Path(sys.argv[1]), '{"version": 1, "half": ' + "9" * 100000)
""")


def test_killed_writer_leaves_the_old_entry_whole(cached: CachedProvider, counting: Counting,
                                                  tmp_path: Path) -> None:
    cached.history(["MU"], START, END)
    entry = _entries(tmp_path)[0]
    old = entry.read_text()
    with subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(entry)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "written"  # temp file done, not renamed
            child.send_signal(signal.SIGKILL)
        finally:
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    leftovers = list(entry.parent.glob("*.tmp"))
    assert len(leftovers) == 1  # the killed writer's temp file
    assert entry.read_text() == old
    cached.history(["MU"], START, END)  # served from the intact entry, no warning
    assert len(counting.calls) == 1
    assert cached.clear() == 2  # the entry and the leftover temp file


def test_killed_first_writer_leaves_no_entry(cached: CachedProvider, counting: Counting,
                                             tmp_path: Path) -> None:
    target = cached.path_for({"provider": "test-frame", "ticker": "MU", "field": "history",
                              "start": "2026-02-23", "end": "2026-02-27", "interval": "1d"})
    with subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(target)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "written"
            child.kill()
        finally:
            child.wait(timeout=30)
    assert not target.exists()
    result = cached.history(["MU"], START, END)
    assert result.status.loc["MU", "status"] == "ok"
    assert counting.calls == [("history", ["MU"])]


def test_interrupted_write_in_process_cleans_its_temp_file(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    from thesis_lib.market import cache

    def boom(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cache.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        cache.atomic_write_text(tmp_path / "a" / "entry.json", "{}")
    assert list((tmp_path / "a").iterdir()) == []


class Flaky:
    """A provider whose history fails for 'BAD' and works for everything else."""

    name = "flaky"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def history(self, tickers: Sequence[str], start: dt.date, end: dt.date,
                interval: str = "1d") -> HistoryResult:
        self.calls.append(list(tickers))
        query = HistoryQuery.build(tickers, start, end, interval)
        close = pd.DataFrame({t: [1.0] for t in tickers if t != "BAD"},
                             index=pd.DatetimeIndex([pd.Timestamp(end)]))
        notes = {"BAD": TickerNote("failed", "rate limited after 4 attempts")}
        return finish_history(query, HistoryFrames(close=close, notes=notes), source="flaky",
                              stale_after=5, today=end)

    def snapshot(self, tickers: Sequence[str], *, as_of: dt.date | None = None
                 ) -> SnapshotResult:
        raise NotImplementedError


def test_failed_answers_are_not_cached(tmp_path: Path) -> None:
    flaky = Flaky()
    cached = CachedProvider(flaky, directory=tmp_path)
    for _ in range(2):
        with pytest.warns(IncompleteDataWarning, match="BAD"):
            result = cached.history(["GOOD", "BAD"], START, END)
    assert flaky.calls == [["GOOD", "BAD"], ["BAD"]]
    assert result.status.loc["BAD", "status"] == "failed"
    assert result.status.loc["GOOD", "status"] == "ok"


def test_cached_provider_conforms(cached: CachedProvider) -> None:
    check_provider(cached, ["MU", "000660.KS"], START, END)
    check_provider(cached, ["MU", "000660.KS"], START, END)  # now from the cache


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("THESIS_LIB_CACHE_DIR", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x"
    monkeypatch.delenv("THESIS_LIB_CACHE_DIR")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "thesis-lib" / "market"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "thesis-lib" / "market"


# --------------------------------------------------------------------------- any bytes


def _history_entry(cached: CachedProvider, ticker: str = "MU") -> Path:
    return cached.path_for({"provider": "test-frame", "ticker": ticker, "field": "history",
                            "start": "2026-02-23", "end": "2026-02-27", "interval": "1d"})


def _snapshot_entry(cached: CachedProvider, ticker: str = "MU") -> Path:
    return cached.path_for({"provider": "test-frame", "ticker": ticker, "field": "snapshot",
                            "as_of": f"latest:{END.isoformat()}"})


def _edit_payload(entry: Path, **changes: Any) -> None:
    document = json.loads(entry.read_text())
    document["payload"].update(changes)
    entry.write_text(json.dumps(document))


HISTORY_DAMAGE: dict[str, Any] = {
    "close is text": {"close": "400.0,401.0"},
    "close is an object": {"close": {"2026-02-23": 400.0}},
    "close holds text": {"close": ["400", "401", "402", "403", "404"]},
    "close holds lists": {"close": [[400.0]] * 5},
    "close holds booleans": {"close": [True] * 5},
    "close is too short": {"close": [400.0]},
    "volume is null": {"volume": None},
    "a date that is not one": {"dates": ["2026-02-23T00:00:00+00:00", "yesterday", "x", "y",
                                         "z"]},
    "a date that is a number": {"dates": [1, 2, 3, 4, 5]},
    "a date without a timezone": {"dates": ["2026-02-23"] * 5},
    "an unknown status": {"status": "fine"},
    "a status never cached": {"status": "unavailable"},
    "as_of is not a date": {"as_of": "soon"},
    "reason is a list": {"reason": ["x"]},
}


@pytest.mark.parametrize("damage", list(HISTORY_DAMAGE))
def test_history_entry_with_wrong_types_warns_and_refetches(
        damage: str, cached: CachedProvider, counting: Counting) -> None:
    cached.history(["MU", "000660.KS"], START, END)
    entry = _history_entry(cached)
    _edit_payload(entry, **HISTORY_DAMAGE[damage])
    with pytest.warns(CacheWarning, match="unreadable"):
        result = cached.history(["MU", "000660.KS"], START, END)
    assert counting.calls[-1] == ("history", ["MU"])  # only the damaged entry refetched
    assert result.status.loc["MU", "status"] == "ok"
    assert result.close["MU"].tolist() == [400.0, 401.0, 402.0, 403.0, 404.0]
    cached.history(["MU", "000660.KS"], START, END)  # rewritten whole: served again
    assert len(counting.calls) == 2


SNAPSHOT_DAMAGE: dict[str, Any] = {
    "price is text": {"values": {"price": "404.0"}},
    "values is a list": {"values": [404.0]},
    "a price that is infinite (1e999)": None,  # written as raw JSON below
    "reference is not a date": {"reference": "2026-13-45"},
    "fx rate is text": {"fx": [{"currency": "KRW", "rate_to_usd": "0.0007", "date": None,
                                "source": "x"}]},
    "fx is an object": {"fx": {"KRW": 0.0007}},
    "currency is a number": {"currency": 840},
}


@pytest.mark.parametrize("damage", list(SNAPSHOT_DAMAGE))
def test_snapshot_entry_with_wrong_types_warns_and_refetches(
        damage: str, cached: CachedProvider, counting: Counting) -> None:
    cached.snapshot(["MU"])
    entry = _snapshot_entry(cached)
    if SNAPSHOT_DAMAGE[damage] is None:
        entry.write_text(entry.read_text().replace('"price": 404.0', '"price": 1e999'))
        assert "1e999" in entry.read_text()
    else:
        _edit_payload(entry, **SNAPSHOT_DAMAGE[damage])
    with pytest.warns(CacheWarning, match="unreadable"):
        result = cached.snapshot(["MU"])
    assert result.status.loc["MU", "status"] == "ok"
    assert result.data.loc["MU", "price"] == 404.0
    assert len(counting.calls) == 2


RAW_DAMAGE: dict[str, bytes] = {
    "one non-UTF-8 byte": b"\xff",
    "latin-1 text": "{\"version\": 1, \"key\": \"caf\u00e9\"}".encode("latin-1"),
    "NUL bytes": b"\x00" * 64,
    "deeply nested JSON": b"[" * 200_000 + b"]" * 200_000,
    "a huge number": b'{"version": 1, "created": 1' + b"0" * 5000 + b"}",
}


@pytest.mark.parametrize("damage", list(RAW_DAMAGE))
def test_any_bytes_in_an_entry_give_a_warning_and_a_refetch(
        damage: str, cached: CachedProvider, counting: Counting) -> None:
    cached.history(["MU"], START, END)
    entry = _history_entry(cached)
    good = entry.read_bytes()
    entry.write_bytes(RAW_DAMAGE[damage] + (good if damage == "one non-UTF-8 byte" else b""))
    with pytest.warns(CacheWarning, match="unreadable"):
        result = cached.history(["MU"], START, END)
    assert result.status.loc["MU", "status"] == "ok"
    assert len(counting.calls) == 2
    assert json.loads(entry.read_text())["key"]["ticker"] == "MU"


def test_oversized_entry_is_not_read(cached: CachedProvider, counting: Counting,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import thesis_lib.market.cache as cache_module

    cached.history(["MU"], START, END)
    monkeypatch.setattr(cache_module, "MAX_ENTRY_BYTES", 64)
    with pytest.warns(CacheWarning, match="not a regular file or is too large"):
        result = cached.history(["MU"], START, END)
    assert result.status.loc["MU", "status"] == "ok"
    assert len(counting.calls) == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_fifo_in_place_of_an_entry_does_not_hang(cached: CachedProvider,
                                                 counting: Counting) -> None:
    cached.history(["MU"], START, END)
    entry = _history_entry(cached)
    entry.unlink()
    os.mkfifo(entry)
    with pytest.warns(CacheWarning, match="not a regular file"):
        result = cached.history(["MU"], START, END)
    assert result.status.loc["MU", "status"] == "ok"
    assert entry.is_file()  # replaced by a real entry
    assert len(counting.calls) == 2


def test_bad_dates_are_refetched_not_failed_forever(cached: CachedProvider,
                                                    counting: Counting) -> None:
    cached.history(["MU"], START, END)
    _edit_payload(_history_entry(cached), dates=["bad"] * 5)
    with pytest.warns(CacheWarning):
        first = cached.history(["MU"], START, END)
    second = cached.history(["MU"], START, END)
    assert first.status.loc["MU", "status"] == second.status.loc["MU", "status"] == "ok"
    assert len(counting.calls) == 2


def test_missing_answers_expire_sooner_than_the_rest(tmp_path: Path, clock: Clock) -> None:
    counting = Counting(_frame_provider())
    cached = CachedProvider(counting, directory=tmp_path, clock=clock, today=lambda: END)
    assert cached.ttl == dt.timedelta(hours=12)
    assert cached.missing_ttl == dt.timedelta(hours=1)
    with pytest.warns(IncompleteDataWarning, match="NOPE"):
        cached.history(["MU", "NOPE"], START, END)
    clock.now += 59 * 60
    with pytest.warns(IncompleteDataWarning, match="NOPE"):
        cached.history(["MU", "NOPE"], START, END)
    assert len(counting.calls) == 1
    clock.now += 2 * 60
    with pytest.warns(IncompleteDataWarning, match="NOPE"):
        cached.history(["MU", "NOPE"], START, END)
    assert counting.calls[-1] == ("history", ["NOPE"])


@pytest.mark.parametrize("bad", [dt.timedelta(hours=-1), 3600, None])
def test_bad_ttls_are_library_errors(bad: Any, tmp_path: Path) -> None:
    from thesis_lib.errors import MarketDataError

    with pytest.raises(MarketDataError, match="missing_ttl must be a non-negative"):
        CachedProvider(_frame_provider(), directory=tmp_path, missing_ttl=bad)
