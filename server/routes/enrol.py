"""Enrolment: a device spends a one-time code on its public key (docs/protocol.md, "Enrolment")."""

from __future__ import annotations

import uuid

from litestar import Request, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers import BaseRouteHandler
from litestar.params import JSONBody

from server import devices, keyrings, schools
from server.errors import Refused
from server.routes.errors import error_responses
from server.routes import DbDep
from sync.wire import DemoCode, DemoSchool, Enrolment, EnrolRequest, Person, School


def enrol_rate_limit(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Runs before the body is read, so that no kind of attempt escapes the limit."""
    client = connection.client.host if connection.client else "unknown"
    if not connection.app.state.enrol_limiter.allow(client):
        raise Refused("rate_limited", "too many enrolment attempts from this address")


@post(
    "/api/v1/enrol",
    sync_to_thread=True,
    status_code=200,
    tags=["devices"],
    guards=[enrol_rate_limit],
    responses=error_responses(400, 409, 410, 429),
)
def enrol(db: DbDep, data: JSONBody[EnrolRequest]) -> Enrolment:
    """Enrols this device for the person the code was issued to; answers with the signed keyring."""
    school, person, key_id = devices.enrol(db, data.code, data.device_public_key, data.proof, data.label, data.approval)
    school_id = uuid.UUID(school["id"])
    return Enrolment(
        school=School(id=school_id, name=school["name"], demo=bool(school["demo"])),
        person=Person(id=uuid.UUID(person["id"]), name=person["name"], role=person["role"]),
        device_key_id=key_id,
        trust_public_key=school["trust_public_key"],
        keyring=keyrings.current(db, school_id),
    )


def _demo_school(db, state: State) -> dict:
    school = schools.demo_school(db)
    if school is None or not state.demo:
        raise Refused("no_demo_school", "this server was not started with --demo")
    return school


@get("/api/v1/demo", sync_to_thread=True, tags=["demo"], responses=error_responses(404))
def demo(db: DbDep, state: State) -> DemoSchool:
    """DEMO ONLY: whether this server offers the demo school (404 when not), so the app can say so."""
    return DemoSchool(school_name=_demo_school(db, state)["name"])


@post(
    "/api/v1/demo/code",
    sync_to_thread=True,
    status_code=200,
    tags=["demo"],
    guards=[enrol_rate_limit],
    responses=error_responses(404, 429),
)
def demo_code(db: DbDep, state: State, request: Request) -> DemoCode:
    """DEMO ONLY: a one-time code for a new demo staff member; 404 unless the server runs with --demo."""
    school = _demo_school(db, state)
    # Numbered, so that people sharing a demo tablet can tell their profiles apart on its lock screen.
    number = 1 + sum(1 for p in schools.list_people(db, uuid.UUID(school["id"])) if p["role"] == "staff")
    person = schools.add_person(db, uuid.UUID(school["id"]), f"Demo staff member {number} (DEMO ONLY)", "staff")
    code = devices.issue_code(db, person, hours=1)
    return DemoCode(code=code.text(), link=code.link(str(request.base_url)))
