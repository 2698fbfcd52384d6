"""Enrolment codes made in the trust key holder's app (docs/protocol.md, "Codes from the trust key
holder's app"): the people a code can be for, and a code's token, which is all the server is given."""

from __future__ import annotations

import uuid

from litestar import get, post
from litestar.params import JSONBody

from server import devices, schools
from server.errors import Refused
from server.routes.errors import error_responses
from server.routes import SIGNED, DbDep, DeviceDep
from server.routes.keyring import team_only
from sync.wire import CodeRequest, CodeStored, People, Person


@get("/api/v1/people", sync_to_thread=True, tags=["devices"], security=SIGNED, responses=error_responses(401, 403, 429))
def people(db: DbDep, device: DeviceDep) -> People:
    """The school's people, in the order they were added."""
    team_only(device)
    return People(
        people=[Person(id=uuid.UUID(p["id"]), name=p["name"], role=p["role"]) for p in schools.list_people(db, device.school_id)]
    )


@post(
    "/api/v1/codes",
    sync_to_thread=True,
    status_code=200,
    tags=["devices"],
    security=SIGNED,
    responses=error_responses(400, 401, 403, 404, 409, 429),
)
def store_code(db: DbDep, device: DeviceDep, data: JSONBody[CodeRequest]) -> CodeStored:
    """Keeps a code's token for one of this school's people, for `hours` (24 unless said)."""
    team_only(device)
    person = schools.get_person(db, data.person_id)
    if person is None or person["school_id"] != str(device.school_id):
        raise Refused("not_found", "no such person in this school")
    return CodeStored(expires_at=devices.store_code(db, data.person_id, data.token, data.hours))
