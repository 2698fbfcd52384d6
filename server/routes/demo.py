"""Open enrolment into the demo school. DEMO ONLY: real schools enrol devices with one-time codes."""

from __future__ import annotations

import uuid

from litestar import post
from litestar.params import JSONBody

from server.errors import ApiError
from server.routes import StoreDep
from server.routes.schools import keyring_of
from server.store import Refused
from sync.wire import DemoEnrolRequest, Enrolment, School


@post("/api/v1/demo/enrol", sync_to_thread=True, status_code=200, tags=["demo"])
def demo_enrol(store: StoreDep, data: JSONBody[DemoEnrolRequest]) -> Enrolment:
    """Enrols a device's public key in the demo school; 404 when the server runs without --demo."""
    school = store.demo_school()
    if school is None:
        raise ApiError(404, "no_demo_school", "this server was not started with --demo")
    school_id = uuid.UUID(school["id"])
    try:
        device_key_id = store.enrol_device(school_id, data.device_public_key)
    except Refused as exc:
        raise ApiError(400 if exc.code == "invalid_key" else 409, exc.code, exc.detail) from None
    return Enrolment(
        school=School(id=school_id, name=school["name"], demo=True),
        device_key_id=device_key_id,
        keyring=keyring_of(store, school_id),
    )
