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
    body = await request.body()
    path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    path_and_query = path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
    check = partial(authenticate, state.db, request.method, path_and_query, dict(request.headers), body)
    device = await anyio.to_thread.run_sync(check)
    if not state.device_limiter.allow(device.key_id):
        raise Refused("rate_limited", "too many requests from this device")
    return device
