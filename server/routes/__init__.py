"""The HTTP API, one module per resource (docs/api.md describes each route and error code)."""

from __future__ import annotations

from functools import partial

import anyio.to_thread
from litestar import Request
from litestar.di import NamedDependency
from litestar.datastructures import State

from server.db import Db
from server.devices import Device, SignedRequest, authenticate, signature_headers
from server.errors import Refused

# Routes that need the device signature headers say so in the OpenAPI schema (see server.app).
SIGNED = [{"deviceSignature": []}]

# What routes take: the database, for most routes the device that signed the request, for a push the
# request as signed (its handler checks the signature itself: server/routes/envelopes.py).
DbDep = NamedDependency[Db]
DeviceDep = NamedDependency[Device]
SignedDep = NamedDependency[SignedRequest]


async def signed_request(request: Request) -> SignedRequest:
    """The request as signed, once it carries the signature's headers: a request without them is
    refused as unauthenticated before its body is read, on every route."""
    headers = signature_headers(request.headers)
    body = await request.body()
    path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    path_and_query = path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
    return SignedRequest(request.method, path_and_query, headers, body)


def signing_device(state: State, signed: SignedRequest, *, spend: bool) -> Device:
    """Checks the request's device signature and its rate limit, in the calling thread."""
    device = authenticate(state.db, signed, spend=spend)
    if not state.device_limiter.allow(device.key_id):
        raise Refused("rate_limited", "too many requests from this device")
    return device


async def authenticated_device(request: Request, state: State) -> Device:
    """Checks the request's device signature (docs/protocol.md) and its rate limit, in a thread of its
    own. The push, the route that carries the load, checks it in its handler's thread instead
    (signing_device), so that it is handed to a thread once, not twice (bench/ingest.py)."""
    signed = await signed_request(request)
    return await anyio.to_thread.run_sync(partial(signing_device, state, signed, spend=True))


async def only_json_bodies(request: Request) -> None:
    """A request to the API that carries a body must say it is JSON: a text/plain or form body is
    refused (415) before anyone reads it as JSON, as a browser's simple, unpreflighted request would be."""
    if not request.url.path.startswith("/api/") or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    has_body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if has_body and media_type != "application/json":
        raise Refused("unsupported_media_type", "the body must be JSON (content-type: application/json)")
