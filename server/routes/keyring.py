from __future__ import annotations

from litestar import get

from server import keyrings
from server.errors import Refused, error_responses
from server.routes import SIGNED, DbDep, DeviceDep
from sync.keyring import SignedKeyring


@get(
    "/api/v1/keyring",
    sync_to_thread=True,
    tags=["keyring"],
    security=SIGNED,
    responses=error_responses(401, 403, 404, 429),
)
def keyring(db: DbDep, device: DeviceDep) -> SignedKeyring:
    """The school's current signed keyring. Devices check it against their pinned trust key."""
    signed = keyrings.current(db, device.school_id)
    if signed is None:
        raise Refused("no_keyring", "the school has not published a signed keyring yet")
    return signed
