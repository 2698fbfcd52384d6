from __future__ import annotations

from litestar import get
from litestar.exceptions import HTTPException

from server.store import Store
from sync.wire import Health


@get("/healthz", sync_to_thread=True, tags=["health"])
def healthz(store: Store) -> Health:
    """200 when the database answers; 503 otherwise, so a load balancer or a technician can tell."""
    try:
        ok = store.healthy()
    except Exception:
        ok = False
    if not ok:
        raise HTTPException(status_code=503, detail="database unreachable")
    return Health(status="ok")
