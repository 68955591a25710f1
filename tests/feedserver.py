"""A real HTTP/1.1 server on 127.0.0.1, in a thread, serving fixture feeds and every fault.

Used by the feed tests and by ``bench/feeds.py``. Routes are registered per path::

    with FeedServer() as server:
        url = server.feed("/good.xml", body)          # ETag + Last-Modified, answers 304
        server.status("/broken", 500)
        server.redirect("/old", 301, "/good.xml")
        server.reset("/reset")                         # TCP RST instead of a response
        server.trickle("/drip.xml", body, every_s=0.2) # one byte at a time, never a read timeout

Every request is recorded in ``server.requests`` as ``(path, headers)``.
"""

from __future__ import annotations

import hashlib
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHALLENGE_PAGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    b"<body><h1>Checking your browser before accessing the site.</h1>"
    b"<noscript>Enable JavaScript and cookies to continue</noscript></body></html>"
)


@dataclass
class Route:
    kind: str
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    validators: bool = True
    delay_s: float = 0.0
    stall_s: float = 0.0
    chunked: bool = False


def fixture_headers(data: bytes) -> dict[str, str]:
    """Headers asked for by a feedparser test file's ``Header:`` comment (ASCII-compatible files)."""
    match = re.search(rb"Header:\s*([\w-]+):\s*([^\r\n]*)", data[:2048])
    if not match:
        return {}
    return {match.group(1).decode("ascii").lower(): match.group(2).decode("ascii", "replace").strip()}


class FeedServer:
    def __init__(self, *, latency_s: float = 0.0) -> None:
        #: Delay before every response: loopback answers in microseconds, real feed hosts in
        #: tens to hundreds of milliseconds. The benchmark uses it; tests leave it at zero.
        self.latency_s = latency_s
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        #: When set, every request is recorded and then held until the event is set (at most
        #: ``gate_timeout_s``): lets a test have several clients in flight before any answer.
        self.gate: threading.Event | None = None
        self.gate_timeout_s = 120.0
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"server_state": self})
        self.httpd = _Server(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="feedserver"
        )

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for p, _ in self.requests if p == path)

    # -- route builders, each returning the route's URL ---------------------------------------

    def feed(self, path, body: bytes, *, content_type="application/rss+xml", validators=True, headers=None):
        hdrs = {"content-type": content_type, **(headers or {})} if content_type else dict(headers or {})
        self.routes[path] = Route("feed", body=body, headers=hdrs, validators=validators)
        return self.url(path)

    def status(self, path, status: int, *, body=b"", headers=None):
        hdrs = {"content-type": "text/plain", **(headers or {})}
        self.routes[path] = Route("status", body=body, status=status, headers=hdrs)
        return self.url(path)

    def html(self, path, *, status=200, body=CHALLENGE_PAGE):
        return self.status(path, status, body=body, headers={"content-type": "text/html; charset=utf-8"})

    def redirect(self, path, status: int, location: str):
        self.routes[path] = Route("status", status=status, headers={"location": location})
        return self.url(path)

    def big(self, path, size: int, *, chunked: bool):
        body = b"<rss version='2.0'><channel>" + b"x" * size + b"</channel></rss>"
        self.routes[path] = Route("feed", body=body, headers={"content-type": "application/rss+xml"},
                                  validators=False, chunked=chunked)  # fmt: skip
        return self.url(path)

    def slow(self, path, body: bytes, *, stall_s: float):
        """Headers and half the body at once, then silence longer than a read timeout."""
        self.routes[path] = Route("slow", body=body, headers={"content-type": "application/rss+xml"},
                                  stall_s=stall_s)  # fmt: skip
        return self.url(path)

    def trickle(self, path, body: bytes, *, every_s: float):
        """The body one byte every ``every_s``: each byte arrives well within a read timeout."""
        self.routes[path] = Route("trickle", body=body, headers={"content-type": "application/rss+xml"},
                                  stall_s=every_s)  # fmt: skip
        return self.url(path)

    def delayed(self, path, body: bytes, *, delay_s: float):
        """A good feed that answers only after ``delay_s`` (keeps a refresh busy for a kill test)."""
        self.routes[path] = Route("feed", body=body, headers={"content-type": "application/rss+xml"},
                                  delay_s=delay_s)  # fmt: skip
        return self.url(path)

    def empty(self, path):
        self.routes[path] = Route("feed", body=b"", headers={"content-type": "application/rss+xml"},
                                  validators=False)  # fmt: skip
        return self.url(path)

    def reset(self, path):
        self.routes[path] = Route("reset")
        return self.url(path)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # listen() backlog; the default 5 drops SYNs when a refresh opens dozens of connections at once.
    request_queue_size = 512


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_state: FeedServer

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        state = self.server_state
        path = self.path
        with state._lock:
            state.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
        if state.gate is not None:
            state.gate.wait(state.gate_timeout_s)
        route = state.routes.get(path)
        if state.latency_s:
            time.sleep(state.latency_s)
        if route is None:
            return self._send(404, b"not found", {"content-type": "text/plain"})
        if route.delay_s:
            time.sleep(route.delay_s)
        if route.kind == "reset":
            # SO_LINGER 0 makes close() send RST: the client sees "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if route.kind == "slow":
            half = len(route.body) // 2
            self.send_response(200)
            for k, v in route.headers.items():
                self.send_header(k, v)
            self.send_header("content-length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body[:half])
            self.wfile.flush()
            time.sleep(route.stall_s)
            self.close_connection = True
            return
        if route.kind == "trickle":
            self.send_response(200)
            for k, v in route.headers.items():
                self.send_header(k, v)
            self.send_header("content-length", str(len(route.body)))
            self.end_headers()
            for byte in route.body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(route.stall_s)
            return
        headers = dict(route.headers)
        if route.kind == "feed" and route.validators:
            etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
            modified = format_datetime(datetime(2025, 1, 6, 12, 0, tzinfo=UTC), usegmt=True)
            headers.update({"etag": etag, "last-modified": modified})
            if self.headers.get("if-none-match") == etag or (
                "if-none-match" not in self.headers and self.headers.get("if-modified-since") == modified
            ):
                return self._send(304, b"", {"etag": etag, "last-modified": modified})
        if route.chunked:
            return self._send_chunked(route.status, route.body, headers)
        self._send(route.status, route.body, headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if status != 304:
            self.send_header("content-length", str(len(body)))
        self.end_headers()
        if body and status != 304:
            self.wfile.write(body)

    def _send_chunked(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        try:
            for start in range(0, len(body), 65536):
                piece = body[start : start + 65536]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client hung up at its cap: that is the point of the route
            self.close_connection = True

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:  # reset or client gone mid-response
            pass


# -- small doubles shared by the feed tests ------------------------------------------------------


class Clock:
    """A settable UTC clock for ``now=`` parameters."""

    def __init__(self, start: datetime = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        from datetime import timedelta

        self.moment += timedelta(**delta)


class FakeIndex:
    """Records ``replace``/``remove`` calls like the real index would receive them."""

    def __init__(self, *, fail_replace: int = 0) -> None:
        self.replaced: list[list] = []
        self.removed: list[list[str]] = []
        self.docs: dict[str, object] = {}
        self._fail_replace = fail_replace

    def replace(self, documents):
        documents = list(documents)
        if self._fail_replace:
            self._fail_replace -= 1
            raise RuntimeError("embedding model unavailable")
        self.replaced.append(documents)
        for doc in documents:
            self.docs[doc.doc_id] = doc
        return len(documents)

    def remove(self, doc_ids):
        doc_ids = list(doc_ids)
        self.removed.append(doc_ids)
        return sum(self.docs.pop(d, None) is not None for d in doc_ids)
