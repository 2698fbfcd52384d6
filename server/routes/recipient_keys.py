"""A team device proposes the recipient key it made (docs/protocol.md, "Recipient keys made on the device")."""

from __future__ import annotations

from litestar import post
from litestar.datastructures import State
from litestar.params import JSONBody

from server import demo, recipient_keys, schools
from server.routes.errors import error_responses
from server.routes import SIGNED, DbDep, DeviceDep
from sync.wire import RecipientKeyRequest, RecipientKeyState


@post(
    "/api/v1/recipient-keys",
    sync_to_thread=True,
    status_code=200,
    tags=["keyring"],
    security=SIGNED,
    responses=error_responses(400, 401, 403, 409, 429),
)
def register_recipient_key(
    db: DbDep, device: DeviceDep, state: State, data: JSONBody[RecipientKeyRequest]
) -> RecipientKeyState:
    """Proposes this team device's own recipient public key for its person. It is sealed to once the
    school's trust key signs a keyring that holds it; in the demo school the server signs at once."""
    key_id = recipient_keys.register(db, device, data.public_key, data.proof)
    school = schools.get_school(db, device.school_id)
    if state.demo and school["demo"] and not recipient_keys.in_keyring(db, device.school_id, key_id):
        # DEMO ONLY: the demo trust key is on the server's disk, so the demo signs for itself.
        demo.sign_proposed_keys(db, state.data_dir, device.school_id, device.person_id)
    return RecipientKeyState(key_id=key_id, in_keyring=recipient_keys.in_keyring(db, device.school_id, key_id))
