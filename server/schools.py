"""Schools, the people in them and the contacts their staff call. Nothing here crosses schools."""

from __future__ import annotations

import uuid
from typing import get_args

from server.clock import iso
from server.db import Db
from server.sql import dicts, insert
from server.errors import Refused
from sync import signing
from sync.ids import uuid7
from sync.keyring import ContactKind

ROLES = ("staff", "dsl", "deputy_dsl", "headteacher", "chair_of_governors", "admin")
TEAM_ROLES = ("dsl", "deputy_dsl", "headteacher", "chair_of_governors")
# The columns read back, named: PostgreSQL's tables also carry the `rowid` that SQLite's have unseen.
SCHOOL = "id, name, demo, trust_public_key"
PERSON = "id, school_id, name, role, recipient_public_key, created_at"


def create_school(
    db: Db, name: str, trust_public_key: bytes, *, demo: bool = False, school_id: uuid.UUID | None = None
) -> uuid.UUID:
    """A new school; `school_id` is given when the trust key holder's app chose it (server/school_setup.py)."""
    try:
        signing.public_key_from_bytes(trust_public_key)
    except ValueError:
        raise Refused("invalid_key", "the trust public key is not a P-256 point") from None
    school_id = school_id or uuid7()
    with db.write() as s:
        if s.execute("SELECT 1 FROM schools WHERE id = ?", [str(school_id)]).fetchone():
            raise Refused("conflict", f"this server already has a school {school_id}: was this setup file used before?")
        # A device pins its school by the trust key's fingerprint: two schools with one trust key would
        # let a code of one enrol a device into the other's keyring, sealing its notes there.
        if s.execute("SELECT 1 FROM schools WHERE trust_public_key = ?", [trust_public_key]).fetchone():
            raise Refused("conflict", "another school on this server already has that trust key: each school makes its own")
        insert(s, "schools", {"id": str(school_id), "name": name, "demo": int(demo), "trust_public_key": trust_public_key})
    return school_id


def get_school(db: Db, school_id: uuid.UUID | str) -> dict | None:
    with db.read() as s:
        rows = dicts(s, f"SELECT {SCHOOL} FROM schools WHERE id = ?", [str(school_id)])
    return rows[0] if rows else None


def list_schools(db: Db) -> list[dict]:
    with db.read() as s:
        return dicts(s, f"SELECT {SCHOOL} FROM schools ORDER BY rowid")


def demo_school(db: Db) -> dict | None:
    with db.read() as s:
        rows = dicts(s, f"SELECT {SCHOOL} FROM schools WHERE demo = 1 LIMIT 1")
    return rows[0] if rows else None


def add_person(
    db: Db, school_id: uuid.UUID, name: str, role: str, recipient_public_key: bytes | None = None
) -> uuid.UUID:
    if role not in ROLES:
        raise Refused("invalid_request", f"role must be one of {', '.join(ROLES)}")
    if recipient_public_key is not None:
        if role not in TEAM_ROLES:
            raise Refused("invalid_request", "only the safeguarding team, headteacher and chair hold recipient keys")
        try:
            signing.public_key_from_bytes(recipient_public_key)
        except ValueError:
            raise Refused("invalid_key", "the recipient public key is not a P-256 point") from None
    if get_school(db, school_id) is None:
        raise Refused("not_found", "no such school")
    person_id = uuid7()
    with db.write() as s:
        insert(s, "people", {
            "id": str(person_id), "school_id": str(school_id), "name": name, "role": role,
            "recipient_public_key": recipient_public_key, "created_at": iso(),
        })
    return person_id


def get_person(db: Db, person_id: uuid.UUID | str) -> dict | None:
    with db.read() as s:
        rows = dicts(s, f"SELECT {PERSON} FROM people WHERE id = ?", [str(person_id)])
    return rows[0] if rows else None


def list_people(db: Db, school_id: uuid.UUID) -> list[dict]:
    with db.read() as s:
        return dicts(s, f"SELECT {PERSON} FROM people WHERE school_id = ? ORDER BY rowid", [str(school_id)])


def add_contact(db: Db, school_id: uuid.UUID, kind: str, name: str, phone: str) -> None:
    if kind not in get_args(ContactKind):
        raise Refused("invalid_request", f"kind must be one of {', '.join(get_args(ContactKind))}")
    with db.write() as s:
        insert(s, "contacts", {"school_id": str(school_id), "kind": kind, "name": name, "phone": phone})


def list_contacts(db: Db, school_id: uuid.UUID) -> list[dict]:
    with db.read() as s:
        return dicts(s, "SELECT id, school_id, kind, name, phone FROM contacts WHERE school_id = ? ORDER BY id",
                     [str(school_id)])
