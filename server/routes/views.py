"""The view trail: a device says it opened records; their readers read who did (server/views.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import get, post
from litestar.params import JSONBody, Parameter

from server import clock, views
from server.errors import Refused
from server.routes.errors import error_responses
from server.routes import SIGNED, DbDep, DeviceDep
from sync.wire import Receipted, RecordsRequest, ViewTrail


@post(
    "/api/v1/views",
    sync_to_thread=True,
    status_code=200,
    tags=["envelopes"],
    security=SIGNED,
    responses=error_responses(400, 401, 403, 429),
)
def record_views(db: DbDep, device: DeviceDep, data: JSONBody[RecordsRequest]) -> Receipted:
    """This device opened these records now: each joins its record's view trail."""
    views.record_views(db, device, data.record_ids, clock.now())
    return Receipted(recorded=len(data.record_ids))


@get("/api/v1/views", sync_to_thread=True, tags=["envelopes"], security=SIGNED, responses=error_responses(400, 401, 403, 429))
def view_trail(
    db: DbDep, device: DeviceDep, record_id: Annotated[uuid.UUID | None, Parameter(description="the record")] = None,
) -> ViewTrail:
    """Who opened this record, on which device, and when: for its readers only."""
    # Optional here, so that an unsigned request is refused as unsigned before anything else.
    if record_id is None:
        raise Refused("invalid_request", "record_id is required")
    return views.trail(db, device, record_id)
