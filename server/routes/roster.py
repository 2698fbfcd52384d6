"""The child roster, sealed by the DSL's app to each device's roster key (docs/protocol.md, "The roster")."""

from __future__ import annotations

from litestar import get, post, put
from litestar.params import JSONBody

from server import roster
from server.routes.errors import error_responses
from server.routes import SIGNED, DbDep, DeviceDep
from sync.wire import (
    RosterEnvelope, RosterKey, RosterKeyRequest, RosterKeyState, RosterMissing, RosterPublish, RosterPublished,
)


@put(
    "/api/v1/roster-key",
    sync_to_thread=True,
    status_code=200,
    tags=["roster"],
    security=SIGNED,
    responses=error_responses(400, 401, 403, 409, 429),
)
def register_roster_key(db: DbDep, device: DeviceDep, data: JSONBody[RosterKeyRequest]) -> RosterKeyState:
    """Registers the roster public key this device made, replacing any it had."""
    return RosterKeyState(key_id=roster.register_key(db, device, data.public_key, data.proof))


@post(
    "/api/v1/roster",
    sync_to_thread=True,
    status_code=200,
    tags=["roster"],
    security=SIGNED,
    responses=error_responses(400, 401, 403, 409, 413, 429),
)
def publish_roster(db: DbDep, device: DeviceDep, data: JSONBody[RosterPublish]) -> RosterPublished:
    """The DSL's app publishes the roster, sealed to the school's devices' roster keys; all or none."""
    stored = roster.publish(db, device, data.version, data.envelopes)
    return RosterPublished(version=data.version, stored=stored)


@get(
    "/api/v1/roster",
    sync_to_thread=True,
    tags=["roster"],
    security=SIGNED,
    responses=error_responses(401, 403, 404, 429),
)
def fetch_roster(db: DbDep, device: DeviceDep) -> RosterEnvelope:
    """The newest roster envelope sealed to this device's roster key."""
    held = roster.held(db, device)
    return RosterEnvelope(version=held.version, envelope=held.data, author_public_key=held.author_public_key)


@get(
    "/api/v1/roster/missing",
    sync_to_thread=True,
    tags=["roster"],
    security=SIGNED,
    responses=error_responses(401, 403, 429),
)
def missing_roster(db: DbDep, device: DeviceDep) -> RosterMissing:
    """The roster keys of the school's active devices that hold no envelope of its current version."""
    version, keys = roster.missing(db, device)
    return RosterMissing(version=version, keys=[
        RosterKey(key_id=k, public_key=pk, device_public_key=device_pk, proof=proof) for k, pk, device_pk, proof in keys
    ])
