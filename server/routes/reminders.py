"""Clock reminders: a team device's opaque ids and times (server/reminders.py, docs/alerts.md)."""

from __future__ import annotations

from litestar import post
from litestar.params import JSONBody

from server import clock, reminders
from server.routes.errors import error_responses
from server.routes import SIGNED, DbDep, DeviceDep
from sync.wire import RemindersRequest, RemindersState


@post(
    "/api/v1/reminders",
    sync_to_thread=True,
    status_code=200,
    tags=["push"],
    security=SIGNED,
    responses=error_responses(400, 401, 403, 409, 429),
)
def set_reminders(db: DbDep, device: DeviceDep, data: JSONBody[RemindersRequest]) -> RemindersState:
    """Sets, moves or cancels this person's clock reminders, each an id the device made up and a time."""
    return RemindersState(pending=reminders.update(db, device, data, clock.now()))
