"""The HTTP API, one module per resource (docs/api.md describes each route and error code)."""

from __future__ import annotations

from functools import partial

import anyio.to_thread
from litestar import Request
from litestar.di import NamedDependency
from litestar.datastructures import State

from server.db import Db
from server.devices import Device, authenticate
from server.errors import Refused

# Routes that need the device signature headers say so in the OpenAPI schema (see server.app).
SIGNED = [{"deviceSignature": []}]

# What routes take: the database, and for most routes the device that signed the request.
DbDep = NamedDependency[Db]
DeviceDep = NamedDependency[Device]


async def authenticated_device(request: Request, state: State) -> Device:
    """Checks the request's device signature (docs/protocol.md) and its rate limit."""
    return await _signed_by(request, state, spend=True)


async def device_with_nonce_unspent(request: Request, state: State) -> Device:
    """The same, for a route that spends the nonce in its own write transaction (the push)."""
    return await _signed_by(request, state, spend=False)


async def _signed_by(request: Request, state: State, *, spend: bool) -> Device:
    body = await request.body()
    path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    path_and_query = path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
    check = partial(authenticate, state.db, request.method, path_and_query, dict(request.headers), body, spend=spend)
    device = await anyio.to_thread.run_sync(check)
    if not state.device_limiter.allow(device.key_id):
        raise Refused("rate_limited", "too many requests from this device")
    return device


async def only_json_bodies(request: Request) -> None:
    """A request to the API that carries a body must say it is JSON: a text/plain or form body is
    refused (415) before anyone reads it as JSON, as a browser's simple, unpreflighted request would be."""
    if not request.url.path.startswith("/api/") or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    has_body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if has_body and media_type != "application/json":
        raise Refused("unsupported_media_type", "the body must be JSON (content-type: application/json)")
