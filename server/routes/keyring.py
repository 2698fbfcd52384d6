from __future__ import annotations

from litestar import get
from litestar.datastructures import State

from server import demo, keyrings, schools
from server.errors import Refused
from server.routes.errors import error_responses
from server.routes import SIGNED, DbDep, DeviceDep
from sync.keyring import SignedKeyring


@get(
    "/api/v1/keyring",
    sync_to_thread=True,
    tags=["keyring"],
    security=SIGNED,
    responses=error_responses(401, 403, 404, 429),
)
def keyring(db: DbDep, device: DeviceDep, state: State) -> SignedKeyring:
    """The school's current signed keyring. Devices check it against their pinned trust key, and
    say so when it has expired."""
    if state.demo and schools.get_school(db, device.school_id)["demo"]:
        demo.renew_if_due(db, state.data_dir, device.school_id)  # DEMO ONLY: the demo trust key is on this disk
    signed = keyrings.current(db, device.school_id)
    if signed is None:
        raise Refused("no_keyring", "the school has not published a signed keyring yet")
    return signed
