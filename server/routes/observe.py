"""Each request as the operator sees it: its request id, its access line and its counts.

Wrapped around Litestar's router (server/app.py), not among its middleware, which runs only once a
route is found: a request no route takes (a scanner's POST to a made-up path) is logged and counted too.
"""

from __future__ import annotations

import logging
import re
import time

from litestar import Response

from server import logs
from server.metrics import METHODS, Metrics
from sync.wire import PullResponse, PushResponse

access = logging.getLogger("lantern.access")

# An id a reverse proxy gave the request (Caddy: `header_up X-Request-Id {http.request.uuid}`) is kept,
# so that its log and Lantern's name the request alike; anything else is replaced, never logged.
SAFE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    given = next((value for name, value in headers if name == b"x-request-id"), b"")
    return given.decode() if SAFE_REQUEST_ID.fullmatch(given) else logs.new_request_id()


def observed(app, metrics: Metrics):
    """ASGI: sets the request id for every log line written while the request is handled, answers it in
    X-Request-Id, and afterwards writes the access line and counts the request. The line holds the
    method, the route's template (never the path: a query or a path carries record and key ids), the
    status and the time taken; no client address, header or body."""

    async def observe(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        rid = request_id_of(scope["headers"])
        token = logs.request_id.set(rid)
        started = time.perf_counter()
        status = 500  # what uvicorn answers if the app fails before answering

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"  # the router sets it once a route is found
            method = scope["method"] if scope["method"] in METHODS else "other"
            metrics.request(route, method, status, seconds)
            access.info("%s %s %d", method, route, status, extra={"fields": {
                "method": method, "route": route, "status": status, "duration_ms": round(seconds * 1000, 1)}})
            logs.request_id.reset(token)

    return observe


def envelopes_counter(metrics: Metrics):
    """An after_request hook: counts the envelopes each push took and each pull sent."""

    async def count(response: Response) -> Response:
        if isinstance(response.content, PushResponse):
            metrics.envelopes.labels("pushed").inc(len(response.content.results))
        elif isinstance(response.content, PullResponse):
            metrics.envelopes.labels("pulled").inc(len(response.content.envelopes))
        return response

    return count
