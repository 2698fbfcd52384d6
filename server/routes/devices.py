from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import Parameter

from server import devices
from server.errors import Refused, error_responses
from server.routes import SIGNED, DbDep, DeviceDep
from server.schools import TEAM_ROLES
from sync.wire import DeviceKey, KeyIdHex


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
    """An enrolled device's public key, so a team member can check the signatures on its envelopes."""
    if device.role not in TEAM_ROLES:
        raise Refused("not_team", "only the safeguarding team looks up device keys")
    public_key = devices.device_public_key(db, device.school_id, key_id)
    if public_key is None:
        raise Refused("not_found", "no such device in this school")
    return DeviceKey(key_id=key_id, public_key=public_key)
