from __future__ import annotations

from litestar import get, post
from litestar.datastructures import State
from litestar.params import JSONBody

from server import demo, keyrings, schools
from server.errors import Refused
from server.routes.errors import error_responses
from server.routes import SIGNED, DbDep, DeviceDep
from sync.keyring import SignedKeyring
from sync.wire import KeyringDraft, KeyringPublished


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


def team_only(device) -> None:
    if device.role not in schools.TEAM_ROLES:
        raise Refused("not_team", "only the safeguarding team, headteacher and chair sign keyrings")


@get(
    "/api/v1/keyring/draft",
    sync_to_thread=True,
    tags=["keyring"],
    security=SIGNED,
    responses=error_responses(400, 401, 403, 404, 429),
)
def keyring_draft(db: DbDep, device: DeviceDep) -> KeyringDraft:
    """The next version as the server would have it, for the trust key holder's app to check and
    sign: every team member's keys, with the device each came from, and the school's contacts."""
    team_only(device)
    return keyrings.draft_for_app(db, device.school_id)


@post(
    "/api/v1/keyring",
    sync_to_thread=True,
    status_code=200,
    tags=["keyring"],
    security=SIGNED,
    responses=error_responses(400, 401, 403, 404, 429),
)
def keyring_publish(db: DbDep, device: DeviceDep, data: JSONBody[SignedKeyring]) -> KeyringPublished:
    """Publishes a keyring signed in the trust key holder's app. The signature is what counts, not
    the device: it is checked exactly as devices check it, and nothing older than what is held passes."""
    team_only(device)
    return KeyringPublished(version=keyrings.publish(db, device.school_id, data).version)
