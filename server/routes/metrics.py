"""GET /metrics, for a monitoring system on the server's own machine (docs/admin.md, "Logs and metrics")."""

from __future__ import annotations

import ipaddress

from litestar import Request, Response, get
from litestar.datastructures import State

from server.errors import Refused
from server.metrics import CONTENT_TYPE

# Headers a reverse proxy adds: a request that carries one came through it, from somewhere else.
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip")


def from_this_machine(request: Request) -> bool:
    try:
        address = ipaddress.ip_address(request.client.host if request.client else "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # a dual-stack listener's 127.0.0.1
    return address.is_loopback and not any(name in request.headers for name in PROXY_HEADERS)


# Not in the OpenAPI schema: it is the operator's, not the devices' API.
@get("/metrics", include_in_schema=False, sync_to_thread=True)
def scrape(request: Request, state: State) -> Response:
    """Counts and times, nothing personal; still, how many urgent alerts a school has is its own
    business, so only a client on this machine, not through the proxy, is answered; anyone else is
    answered as for any path that is not there."""
    if not from_this_machine(request):
        raise Refused("not_found", "no such file")
    return Response(state.metrics.scrape(state.data_dir, state.db), media_type=CONTENT_TYPE)
