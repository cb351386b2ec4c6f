"""A loopback TCP server that accepts connections and never answers.

What a silent proxy or a firewall that swallows traffic looks like to a client: the
connection is made, the request is sent, and nothing ever comes back. It listens
on ``127.0.0.1`` on an ephemeral port, holds every connection open without
reading or writing, and stops itself after ``lifetime`` seconds (or when the
``with`` block ends), closing everything so that blocked clients wake up.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType


class SilentServer:
    """``with SilentServer() as server: ... server.port ... server.accepted``."""

    def __init__(self, lifetime: float = 60.0) -> None:
        self.lifetime = lifetime
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self.accepted = 0
        self._connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="silent-server", daemon=True)

    def _serve(self) -> None:
        ends = time.monotonic() + self.lifetime
        try:
            while not self._stop.is_set() and time.monotonic() < ends:
                try:
                    connection, _ = self._listener.accept()
                except (TimeoutError, OSError):
                    continue
                self._connections.append(connection)
                self.accepted += 1
        finally:
            for connection in self._connections:
                connection.close()
            self._listener.close()

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop: close every connection and the listening socket (safe to call twice)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def ask_and_wait_forever(port: int, path: str = "/v8/finance/chart/MU") -> bytes:
    """Send a request to the server and wait for the answer with no timeout at all: a
    transport that ignores the timeout it was given (as yfinance's cookie and quote
    requests do). Returns only when the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.settimeout(None)
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: query2.finance.yahoo.com\r\n\r\n"
                           .encode())
        return connection.recv(1)


class ErrorServer:
    """A loopback HTTP server that answers every request with HTTP 500 and a JSON body
    shaped like Yahoo's error answers (``{"chart": {"result": null, "error": ...}}``)."""

    BODY = (b'{"chart":{"result":null,"error":{"code":"Internal Server Error",'
            b'"description":"Internal Server Error"}}}')

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        body = self.BODY
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                server.requests += 1
                self.send_response(500)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer  # noqa: N815 - http.server's names

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.requests = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})

    def close(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> ErrorServer:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
