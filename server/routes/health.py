from __future__ import annotations

from litestar import get

from server.errors import ApiError
from server.routes import StoreDep
from sync.wire import Health


@get("/healthz", sync_to_thread=True, tags=["health"])
def healthz(store: StoreDep) -> Health:
    """200 when the database answers; 503 otherwise, so a load balancer or a technician can tell."""
    try:
        ok = store.healthy()
    except Exception:
        ok = False
    if not ok:
        raise ApiError(503, "database_unavailable", "the database does not answer")
    return Health(status="ok")
