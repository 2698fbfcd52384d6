"""Bounds on a request's head, checked before anything routes it: the server behind Lantern (uvicorn
with httptools) takes any number of headers of any size, and every one of them costs memory in
every request handled at once."""

from __future__ import annotations

import msgspec

from sync.wire import Error

MAX_HEADERS = 100  # a browser sends about 20; Lantern's signed requests add 4
MAX_HEADER_BYTES = 32 * 1024  # names and values together; the longest Lantern sends is under 1 KiB


def bounded_heads(app):
    """ASGI middleware: 431 headers_too_large for a head past the bounds, the app never reached."""

    async def guard(scope, receive, send):
        if scope["type"] == "http":
            headers = scope["headers"]
            if len(headers) > MAX_HEADERS or sum(len(k) + len(v) for k, v in headers) > MAX_HEADER_BYTES:
                body = msgspec.json.encode(Error(
                    error="headers_too_large",
                    detail=f"at most {MAX_HEADERS} headers of {MAX_HEADER_BYTES // 1024} KiB in all"))
                await send({"type": "http.response.start", "status": 431, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return guard
