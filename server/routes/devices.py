from __future__ import annotations

from typing import Annotated

from litestar import delete, get
from litestar.params import Parameter

from server import devices
from server.errors import Refused
from server.routes.errors import error_responses
from server.routes import SIGNED, DbDep, DeviceDep
from server.schools import TEAM_ROLES
from sync.wire import DeviceKey, DeviceState, KeyIdHex


@get(
    "/api/v1/devices/{key_id:str}",
    sync_to_thread=True,
    tags=["devices"],
    security=SIGNED,
    responses=error_responses(400, 401, 403, 404, 429),
)
def device_key(
    db: DbDep, device: DeviceDep, key_id: Annotated[KeyIdHex, Parameter(pattern="^[0-9a-f]{64}$")]
) -> DeviceKey:
    """An enrolled device's public key, so a team member can check the signatures on its envelopes,
    and the person it was enrolled to, to compare with the author a note names."""
    if device.role not in TEAM_ROLES:
        raise Refused("not_team", "only the safeguarding team looks up device keys")
    found = devices.device_key(db, device.school_id, key_id)
    if found is None:
        raise Refused("not_found", "no such device in this school")
    return found


@delete(
    "/api/v1/devices/self",
    sync_to_thread=True,
    status_code=200,
    tags=["devices"],
    security=SIGNED,
    responses=error_responses(401, 403, 429),
)
def leave(db: DbDep, device: DeviceDep) -> DeviceState:
    """This device leaves: it is revoked, as an administrator would revoke it, and its push
    subscription is forgotten. What it sent stays. A person removing themselves from a shared tablet
    does this before the app deletes their key."""
    devices.revoke(db, device.key_id)
    return DeviceState(revoked=True)
