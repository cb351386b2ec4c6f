"""A stand-in for Yahoo's HTTP API, served to yfinance by patching ``YfData.get``.

Patching sockets does not stop yfinance (its curl_cffi transport bypasses
them), so the stub replaces the one method every request goes through. It
answers from the Yahoo responses stored in ``fixtures/yahoo``:

- ``/v8/finance/chart/SYM``: ``chart/SYM@INTERVAL.json`` sliced to
  ``[period1, period2)`` (or to the last bar for ``range=1d``); unknown
  symbols get Yahoo's 404 "No data found, symbol may be delisted";
- ``/v10/finance/quoteSummary/SYM``, ``/v7/finance/quote``,
  ``/ws/fundamentals-timeseries/...``: ``quote/SYM.json`` parts.

``rate_limited`` symbols raise yfinance's ``YFRateLimitError``, ``timeouts``
raise curl_cffi's ``Timeout``, ``resets`` its ``ConnectionError`` for a reset
connection, and ``offline`` makes every request fail to resolve the host
(curl_cffi's ``DNSError``), as the real transport does. ``server_errors`` symbols
get an HTTP 500 with an HTML page, as Yahoo's edge serves one.
:func:`warm_timezones` makes yfinance's timezone cache already know some symbols,
as it does on disk after any earlier run.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from .yf_shapes import YAHOO

NOT_FOUND = {
    "chart": {
        "result": None,
        "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"},
    }
}
QUOTE_NOT_FOUND = {
    "quoteSummary": {
        "result": None,
        "error": {"code": "Not Found", "description": "Quote not found for symbol: {sym}"},
    }
}


class StubResponse:
    """Just enough of a curl_cffi response for yfinance."""

    def __init__(self, payload: Any, status_code: int = 200, url: str = "") -> None:
        self._payload = payload
        self.status_code = status_code
        self.text = json.dumps(payload)
        self.url = url or "https://query2.finance.yahoo.com/"

    def json(self) -> Any:
        return copy.deepcopy(self._payload)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            from curl_cffi.requests.exceptions import HTTPError

            raise HTTPError(f"HTTP Error {self.status_code}: ", response=self)


class ServerErrorResponse(StubResponse):
    """An HTTP 500 with an HTML body (what a proxy or Yahoo's edge serves in an outage)."""

    def __init__(self, url: str) -> None:
        super().__init__(None, 500, url)
        self.text = "<html><body><h1>500 Internal Server Error</h1></body></html>"

    def json(self) -> Any:
        return json.loads(self.text)  # raises JSONDecodeError, as the real response does


def _chart_file(symbol: str, interval: str) -> dict[str, Any] | None:
    path = YAHOO / "chart" / f"{symbol}@{interval}.json"
    if not path.exists():
        return None
    payload: dict[str, Any] = json.loads(path.read_text())
    return payload


def _slice_chart(payload: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(payload)
    result = out["chart"]["result"][0]
    stamps: list[int] = result["timestamp"]
    if "period1" in params and params["period1"] is not None:
        lo = int(params["period1"])
        hi = int(params["period2"]) if params.get("period2") is not None else 2**40
        keep = [i for i, t in enumerate(stamps) if lo <= t < hi]
        result["meta"]["range"] = ""
    elif params.get("range", "1d") == "1d":
        keep = [len(stamps) - 1]
        result["meta"]["range"] = "1d"
    else:
        keep = list(range(len(stamps)))
        result["meta"]["range"] = params["range"]
    result["timestamp"] = [stamps[i] for i in keep]
    quote = result["indicators"]["quote"][0]
    for key in list(quote):
        quote[key] = [quote[key][i] for i in keep]
    if "adjclose" in result["indicators"]:
        adj = result["indicators"]["adjclose"][0]["adjclose"]
        result["indicators"]["adjclose"][0]["adjclose"] = [adj[i] for i in keep]
    if not keep:
        result.pop("timestamp")
        result["indicators"] = {"quote": [{}], "adjclose": [{}]}
    return out


class YahooStub:
    """Serve stored Yahoo responses; record every request made."""

    def __init__(self, *, rate_limited: Iterable[str] = (), timeouts: Iterable[str] = (),
                 resets: Iterable[str] = (), server_errors: Iterable[str] = (),
                 offline: bool = False) -> None:
        self.rate_limited = {s.upper() for s in rate_limited}
        self.timeouts = {s.upper() for s in timeouts}
        self.resets = {s.upper() for s in resets}
        self.server_errors = {s.upper() for s in server_errors}
        self.offline = offline
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def _symbol(self, url: str) -> str:
        path = urlsplit(url).path
        return path.rstrip("/").rsplit("/", 1)[-1]

    def get(self, url: str, params: dict[str, Any] | None = None, timeout: float = 30
            ) -> StubResponse:
        params = dict(params or {})
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        with self._lock:
            self.calls.append((url, {**query, **params}))
        if self.offline:
            from curl_cffi.requests.exceptions import DNSError

            raise DNSError("Failed to perform, curl: (6) Could not resolve host: "
                           "query2.finance.yahoo.com. See https://curl.se/libcurl/c/"
                           "libcurl-errors.html first for more details.")
        if "/v8/finance/chart/" in url or "/quoteSummary/" in url:
            symbol = self._symbol(url)
        elif "/v7/finance/quote" in url:
            symbol = str(params.get("symbols", ""))
        elif "fundamentals-timeseries" in url:
            symbol = query.get("symbol", "")
        else:
            return StubResponse({"error": "unexpected url"}, 404, url)
        self._fail_if_asked(symbol)
        if symbol.upper() in self.server_errors:
            return ServerErrorResponse(url)
        if "/v8/finance/chart/" in url:
            chart = _chart_file(symbol, str(params.get("interval", "1d")))
            if chart is None:
                return StubResponse(NOT_FOUND, 404, url)
            return StubResponse(_slice_chart(chart, params), 200, url)
        return self._quote(url, symbol, query)

    def _fail_if_asked(self, symbol: str) -> None:
        if symbol.upper() in self.rate_limited:
            from yfinance.exceptions import YFRateLimitError

            raise YFRateLimitError()
        if symbol.upper() in self.timeouts:
            from curl_cffi.requests.exceptions import Timeout

            raise Timeout(
                "Failed to perform, curl: (28) Operation timed out after 10002 milliseconds"
                " with 0 bytes received."
            )
        if symbol.upper() in self.resets:
            from curl_cffi.requests.exceptions import ConnectionError as CurlConnectionError

            raise CurlConnectionError(
                "Failed to perform, curl: (56) Recv failure: Connection reset by peer.")

    def _quote(self, url: str, symbol: str, query: dict[str, str]) -> StubResponse:
        path = YAHOO / "quote" / f"{symbol}.json"
        parts: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        if "/quoteSummary/" in url:
            if "quoteSummary" not in parts:
                body = json.loads(json.dumps(QUOTE_NOT_FOUND).replace("{sym}", symbol))
                return StubResponse(body, 404, url)
            return StubResponse(parts["quoteSummary"], 200, url)
        if "/v7/finance/quote" in url:
            return StubResponse(parts.get("quoteResponse",
                                          {"quoteResponse": {"result": [], "error": None}}),
                                200, url)
        if "type" not in query:  # the share-count series fast_info asks for
            return StubResponse(parts.get("shares", {"timeseries": {"result": [{}],
                                                                    "error": None}}), 200, url)
        empty = {"timeseries": {"result": [{"meta": {"symbol": [symbol], "type":
                                                      ["trailingPegRatio"]}}], "error": None}}
        return StubResponse(parts.get("timeseries", empty), 200, url)


def install(monkeypatch: pytest.MonkeyPatch, stub: YahooStub) -> None:
    """Route yfinance's requests to ``stub`` and give it fresh in-memory caches."""
    import yfinance.base
    import yfinance.cache
    from yfinance.data import YfData

    monkeypatch.setattr(YfData, "get", lambda self, url, params=None, timeout=30:
                        stub.get(url, params, timeout))
    monkeypatch.setattr(yfinance.cache._TzCacheManager, "_tz_cache",
                        yfinance.cache._TzCacheDummy())
    monkeypatch.setattr(yfinance.base, "_tz_info_fetch_ctr", 0)
    YfData.cache_get.cache_clear()


class WarmTimezones:
    """yfinance's timezone cache, already holding some symbols' timezones."""

    def __init__(self, zones: dict[str, str]) -> None:
        self.zones = dict(zones)

    def lookup(self, tkr: str) -> str | None:
        return self.zones.get(tkr)

    def store(self, tkr: str, tz: str | None) -> None:
        if tz is not None:
            self.zones[tkr] = tz

    @property
    def tz_db(self) -> None:
        return None


def warm_timezones(monkeypatch: pytest.MonkeyPatch, zones: dict[str, str]) -> None:
    """After :func:`install`: yfinance finds these timezones without asking Yahoo."""
    import yfinance.cache

    monkeypatch.setattr(yfinance.cache._TzCacheManager, "_tz_cache", WarmTimezones(zones))


def symbols_requested(stub: YahooStub) -> list[str]:
    """Every symbol the stub was asked about, in order."""
    out = []
    for url, params in stub.calls:
        match = re.search(r"/chart/([^/?]+)|/quoteSummary/([^/?]+)", url)
        if match:
            out.append(match.group(1) or match.group(2))
        elif "symbols" in params:
            out.append(str(params["symbols"]))
    return out
