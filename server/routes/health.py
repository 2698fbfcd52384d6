from __future__ import annotations

from litestar import get

from server.clock import iso
from server.errors import Refused
from server.routes.errors import error_responses
from server.routes import DbDep
from sync.wire import Health


@get("/healthz", sync_to_thread=True, tags=["health"], responses=error_responses(503))
def healthz(db: DbDep) -> Health:
    """200 when the database answers; 503 otherwise, so a load balancer or a technician can tell, with
    why: the database does not answer, its file was removed or replaced under the server, or (PostgreSQL)
    it refuses every write."""
    db.check_file()
    if db.full_since is not None:
        raise Refused("storage_full", f"the disk is full since {iso(db.full_since)}: reads go on, and only urgent notes "
                                      "and their receipts are stored, from a reserve; free space on the server")
    try:
        with db.read() as s:
            ok = s.execute("SELECT 1").fetchone() == (1,)
    except Exception:
        ok = False
    if not ok:
        raise Refused("database_unavailable", "the database does not answer")
    return Health(status="ok")
