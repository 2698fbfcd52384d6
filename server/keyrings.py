"""The school's keyring as the server keeps it: drafts for the trust key holder to sign, and the
signed versions it publishes. The server can propose; only the trust key can make a keyring."""

from __future__ import annotations

import uuid

import msgspec

from server.clock import iso
from server.db import Db
from server.errors import Refused
from server.schools import get_school, list_contacts, list_people
from sync import keyring as kr
from sync import signing


def current(db: Db, school_id: uuid.UUID) -> kr.SignedKeyring | None:
    with db.read() as s:
        row = s.execute(
            "SELECT payload, signature FROM keyrings WHERE school_id = ? ORDER BY version DESC LIMIT 1",
            [str(school_id)],
        ).fetchone()
    return kr.SignedKeyring(payload=row[0], signature=row[1]) if row else None


def draft(db: Db, school_id: uuid.UUID) -> kr.KeyringPayload:
    """The next version: every team member with a recipient key, and the school's contacts."""
    school = get_school(db, school_id)
    if school is None:
        raise Refused("not_found", "no such school")
    held = current(db, school_id)
    version = msgspec.json.decode(held.payload, type=kr.KeyringPayload).version + 1 if held else 1
    return kr.KeyringPayload(
        v=1,
        school_id=school_id,
        school_name=school["name"],
        version=version,
        issued_at=iso(),
        recipients=[
            kr.KeyringRecipient(
                key_id=signing.key_id(p["recipient_public_key"]).hex(),
                person_id=uuid.UUID(p["id"]),
                role=p["role"],
                name=p["name"],
                public_key=p["recipient_public_key"],
            )
            for p in list_people(db, school_id)
            if p["recipient_public_key"]
        ],
        contacts=[kr.Contact(kind=c["kind"], name=c["name"], phone=c["phone"]) for c in list_contacts(db, school_id)],
    )


def publish(db: Db, school_id: uuid.UUID, signed: kr.SignedKeyring) -> kr.KeyringPayload:
    """Checks a signed keyring exactly as a device will, then makes it current."""
    school = get_school(db, school_id)
    if school is None:
        raise Refused("not_found", "no such school")
    try:
        payload = kr.verify(signed, school["trust_public_key"], school_id, current(db, school_id))
    except kr.KeyringError as exc:
        raise Refused("invalid_request", f"{exc.code}: {exc.detail}") from None
    people = {p["id"]: p for p in list_people(db, school_id)}
    for r in payload.recipients:
        if str(r.person_id) not in people:
            raise Refused("invalid_request", f"recipient {r.name!r} is not a person of this school")
    with db.write() as s:
        if s.execute(
            "SELECT 1 FROM keyrings WHERE school_id = ? AND version = ?", [str(school_id), payload.version]
        ).fetchone():
            return payload  # the same bytes again (kr.verify refused other bytes): nothing to do
        s["keyrings"].insert(
            {
                "school_id": str(school_id), "version": payload.version, "payload": signed.payload,
                "signature": signed.signature, "published_at": iso(),
            }
        )
        s.execute("DELETE FROM recipients WHERE school_id = ?", [str(school_id)])
        s["recipients"].insert_all(
            {
                "key_id": r.key_id, "school_id": str(school_id), "person_id": str(r.person_id),
                "role": r.role, "name": r.name, "public_key": r.public_key,
            }
            for r in payload.recipients
        )
    return payload
