"""A hostile server for the tests: a real HTTP reverse proxy on 127.0.0.1 in front of a real Lantern
server, which passes everything through untouched unless a test tells it to lie.

The server is untrusted (docs/threat-model.md): whatever it answers, a device must refuse what its
keys do not vouch for. Writing lies into the database (tests/test_auth.py `hostile_write`) only
covers what the real server code would then serve; this proxy can tell any lie on the wire, to the
Python client now and to a browser page later, since it also serves the PWA's files byte for byte.
"""

from __future__ import annotations

import copy
import gzip
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import httpx
import msgspec

T = TypeVar("T")

# Hop-by-hop headers belong to one connection, not to the message (RFC 9110 7.6.1); content-length
# is written again for the body the client really gets, which a rule may have changed.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
     "content-length"}
)
# The proxy reads the whole body before it forwards anything, so 100-continue is its own business.
NOT_FORWARDED = HOP_BY_HOP | {"expect"}


@dataclass
class Exchange:
    """One request the proxy saw, and the answer it will give: a rule may change the last three."""

    method: str
    path: str  # path with query string, exactly as the client sent it
    request_headers: dict[str, str]  # names in lower case
    request_body: bytes
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""  # as it travels: still compressed if the server compressed it


Rule = Callable[[Exchange], None]


@dataclass
class _Registered:
    method: str
    path_prefix: str
    fn: Rule
    times: int | None

    def matches(self, ex: Exchange) -> bool:
        return self.method in ("*", ex.method) and ex.path.startswith(self.path_prefix)


class HostileProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        # No default headers of httpx's own reach the server (see _forward), no redirect is followed
        # and nothing is decoded: the client must see what the server said.
        self._http = httpx.Client(timeout=30.0, follow_redirects=False)
        self._lock = threading.Lock()
        self._rules: list[_Registered] = []
        self._answers: list[_Registered] = []
        self.seen: list[tuple[str, str, int]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="hostile-proxy", daemon=True)
        self._thread.start()

    def rule(self, method: str, path_prefix: str, fn: Rule, *, times: int | None = None) -> None:
        """After the server answered a matching request, `fn` may change the answer; `times` uses, or
        for ever. Every matching rule applies, in the order they were added. Method "*" is any."""
        with self._lock:
            self._rules.append(_Registered(method.upper(), path_prefix, fn, times))

    def answer(self, method: str, path_prefix: str, fn: Rule, *, times: int | None = None) -> None:
        """Answers a matching request without the server ever seeing it: `fn` sets status, headers
        and body. The first matching answer is used."""
        with self._lock:
            self._answers.append(_Registered(method.upper(), path_prefix, fn, times))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._answers.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._http.close()

    def __enter__(self) -> HostileProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # What each request goes through, on its handler's thread

    def _take(self, registered: list[_Registered], ex: Exchange, first_only: bool) -> list[Rule]:
        with self._lock:
            taken = []
            for r in list(registered):
                if not r.matches(ex):
                    continue
                taken.append(r.fn)
                if r.times is not None:
                    r.times -= 1
                    if r.times <= 0:
                        registered.remove(r)
                if first_only:
                    break
            return taken

    def _exchange(self, ex: Exchange) -> Exchange:
        answers = self._take(self._answers, ex, first_only=True)
        try:
            if answers:
                ex.status = 200
                answers[0](ex)
            else:
                self._forward(ex)
                for fn in self._take(self._rules, ex, first_only=False):
                    fn(ex)
        except Exception as exc:
            # A broken rule must show as itself, not as a reset connection the client may retry.
            ex.status, ex.headers = 500, {"content-type": "text/plain; charset=utf-8"}
            ex.body = f"hostile proxy: a rule failed: {exc!r}".encode()
        with self._lock:
            self.seen.append((ex.method, ex.path, ex.status))
        return ex

    def _forward(self, ex: Exchange) -> None:
        url = httpx.URL(self.upstream).copy_with(raw_path=ex.path.encode("latin-1"))
        headers = [(k, v) for k, v in ex.request_headers.items() if k not in NOT_FORWARDED]
        request = self._http.build_request(ex.method, url, content=ex.request_body)
        # build_request adds httpx's defaults (accept, accept-encoding, user-agent...) and a host:
        # replace them all by what the client sent. Its Host goes on, so that links the server makes
        # (a demo code's) point at the proxy the client is talking to.
        for name in list(request.headers.keys()):
            if name != "content-length":
                del request.headers[name]
        for name, value in headers:
            request.headers[name] = value
        if not ex.request_body and "content-length" not in ex.request_headers:
            request.headers.pop("content-length", None)  # a GET gets none, as the client sent it
        try:
            response = self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            ex.status, ex.headers = 502, {"content-type": "text/plain; charset=utf-8"}
            ex.body = f"hostile proxy: upstream unreachable: {exc}".encode()
            return
        try:
            ex.body = b"".join(response.iter_raw())  # raw: any content-encoding left as it came
        finally:
            response.close()
        ex.status = response.status_code
        ex.headers = _joined(response.headers.multi_items())


def _joined(items) -> dict[str, str]:
    # Repeated fields are joined as RFC 9110 5.3 allows; Lantern sets no cookies, the one exception.
    out: dict[str, str] = {}
    for name, value in items:
        name = name.lower()
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _handler_for(proxy: HostileProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a browser expects of a server

        def __getattr__(self, name: str):
            # Every method goes through, whatever its name: do_GET, do_POST, do_PATCH, do_PROPFIND...
            if name.startswith("do_"):
                return self._proxy
            raise AttributeError(name)

        def _read_body(self) -> bytes:
            if "chunked" in self.headers.get("transfer-encoding", "").lower():
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("content-length") or 0))

        def _proxy(self) -> None:
            headers = _joined(self.headers.items())
            for name in headers.get("connection", "").split(","):
                headers.pop(name.strip().lower(), None)
            ex = Exchange(
                method=self.command, path=self.path, request_headers=headers, request_body=self._read_body()
            )
            proxy._exchange(ex)
            # send_response would add the proxy's own Server and Date: the client gets the server's.
            self.send_response_only(ex.status)
            for name, value in ex.headers.items():
                if name not in HOP_BY_HOP:
                    self.send_header(name, value)
            no_body = ex.status in (204, 304) or 100 <= ex.status < 200
            if self.command == "HEAD":
                # The length of the body a GET would have had, which only the server knows.
                if "content-length" in ex.headers:
                    self.send_header("content-length", ex.headers["content-length"])
            elif not no_body:
                self.send_header("content-length", str(len(ex.body)))
            self.end_headers()
            if self.command != "HEAD" and not no_body:
                self.wfile.write(ex.body)
            self.wfile.flush()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the assertions read `proxy.seen`; the test output stays the tests'

    return Handler


# JSON bodies. Lantern's JSON carries bytes as standard base64 strings (sync/wire.py): decoding with
# a wire type gives bytes back, and set_json writes them as base64 again.


def json_body(ex: Exchange, type: type[T] = Any) -> T:  # noqa: A002 - msgspec's own name for it
    body = gzip.decompress(ex.body) if ex.headers.get("content-encoding") == "gzip" else ex.body
    return msgspec.json.decode(body, type=type)


def set_json(ex: Exchange, value: Any) -> None:
    ex.body = msgspec.json.encode(value)
    ex.headers.pop("content-encoding", None)  # written uncompressed, whatever the server did
    ex.headers["content-type"] = "application/json"


def replica(ex: Exchange) -> Exchange:
    """A copy to keep and replay later: the one the proxy holds goes on being changed by rules."""
    return copy.deepcopy(ex)


class Lie:
    """A rule that counts how often it was told, so that a test can show its lie reached the client."""

    def __init__(self, fn: Rule) -> None:
        self.fn = fn
        self.told = 0

    def __call__(self, ex: Exchange) -> None:
        self.told += 1
        self.fn(ex)
