"""A school set up from the trust key holder's app (docs/trust-key.md, "Making it in the app").

The app makes the trust key, chooses the school's id and signs its first keyring (no team yet, no
contacts) before any device is enrolled: the setup file carries those to the admin, who creates the
school from it. Nothing in the file is secret, and nothing in it is believed unchecked: the keyring
must verify under the trust key it names, for the school it names.
"""

from __future__ import annotations

import uuid
from typing import Literal

import msgspec

from server import keyrings, schools
from server.db import Db
from server.errors import Refused
from sync import keyring as kr


class SchoolSetup(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    lantern: Literal["school-setup-v1"]
    school_id: uuid.UUID
    trust_public_key: kr.PublicKey
    keyring: kr.SignedKeyring


def read(data: bytes) -> SchoolSetup:
    try:
        return msgspec.json.decode(data, type=SchoolSetup)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise Refused("invalid_request", f"not a Lantern school setup file ({exc})") from None


def create(db: Db, setup: SchoolSetup) -> tuple[uuid.UUID, str]:
    """Creates the school and publishes its first keyring; returns (its id, its name)."""
    try:
        payload = kr.verify(setup.keyring, setup.trust_public_key, setup.school_id)
    except (kr.KeyringError, ValueError) as exc:
        raise Refused("invalid_request", f"the setup file's keyring does not check: {exc}") from None
    if kr.expired(payload):
        raise Refused("invalid_request", "the setup file's keyring has expired: make the setup file again in the app")
    schools.create_school(db, payload.school_name, setup.trust_public_key, school_id=setup.school_id)
    keyrings.publish(db, setup.school_id, setup.keyring)
    return setup.school_id, payload.school_name
