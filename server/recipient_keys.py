"""Recipient keys made on a team member's own device (docs/protocol.md, "Recipient keys made on the
device").

The DSL's app makes an HPKE key pair in the browser, whose private half never leaves it, and proposes
the public half here. A proposal changes nothing by itself: staff devices seal only to the keys of a
keyring signed by the school's trust key, and `lantern admin keyring draft` puts proposed keys in the
next draft for the trust key holder to sign (server/keyrings.py). In the demo school the server signs
at once with its DEMO-ONLY trust key (server/demo.py), so that a new user sees the whole path.
"""

from __future__ import annotations

import uuid

from server.clock import iso
from server.db import Db
from server.devices import Device, check_key_proof
from server.errors import Refused
from server.schools import TEAM_ROLES, list_people
from sync import key_proofs, signing


def register(db: Db, device: Device, public_key: bytes, proof: bytes = b"") -> str:
    """Stores this device's recipient public key as proposed for its person; returns its key id.

    One key per device: a device that proposes another key (its storage was cleared and it made a new
    one) replaces its earlier proposal. The same key again is a no-op. A key that is already someone
    else's (another device's proposal, or any key of a keyring) is refused: two keyring entries with
    one key would make every staff device refuse to seal to the team."""
    if device.role not in TEAM_ROLES:
        raise Refused("not_team", "only the safeguarding team, headteacher and chair hold recipient keys")
    try:
        signing.public_key_from_bytes(public_key)
    except ValueError:
        raise Refused("invalid_key", "the recipient public key is not a P-256 point") from None
    check_key_proof(db, device, key_proofs.RECIPIENT_KEY, public_key, proof)
    key_id = signing.key_id(public_key).hex()
    # A person's key registered by an admin (`lantern admin person add --recipient-public-key`) has no
    # key id column; the school's team is a handful of people, so compare here.
    if any(p["recipient_public_key"] and signing.key_id(p["recipient_public_key"]).hex() == key_id
           for p in list_people(db, device.school_id)):
        raise Refused("conflict", "this key is already a recipient key of this school")
    with db.write() as s:
        owner = s.execute("SELECT device_key_id FROM recipient_keys WHERE key_id = ?", [key_id]).fetchone()
        if owner is not None and owner[0] != device.key_id:
            raise Refused("conflict", "this key is already registered by another device")
        in_keyrings = s.execute("SELECT school_id FROM recipients WHERE key_id = ?", [key_id]).fetchone()
        if owner is None and in_keyrings is not None:
            raise Refused("conflict", "this key is already a recipient key of a keyring")
        if owner is None:
            s.execute("DELETE FROM recipient_keys WHERE device_key_id = ?", [device.key_id])
            s.execute(
                """INSERT INTO recipient_keys (key_id, school_id, person_id, device_key_id, public_key, created_at, proof)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                [key_id, str(device.school_id), str(device.person_id), device.key_id, public_key, iso(), proof or None],
            )
        elif proof:  # the same key again, now with its proof (an app made before proofs, updated)
            s.execute("UPDATE recipient_keys SET proof = ? WHERE key_id = ?", [proof, key_id])
    return key_id


def in_keyring(db: Db, school_id: uuid.UUID, key_id: str) -> bool:
    """Whether the school's current keyring holds this key (the recipients table is its index)."""
    with db.read() as s:
        return s.execute(
            "SELECT 1 FROM recipients WHERE key_id = ? AND school_id = ?", [key_id, str(school_id)]
        ).fetchone() is not None


def proposed(db: Db, school_id: uuid.UUID) -> dict[str, list[bytes]]:
    """The keys of the school's enrolled, unrevoked devices, by person id, oldest first. A revoked
    device's key drops out of the next draft: a lost phone stops receiving notes."""
    with db.read() as s:
        rows = s.execute(
            """SELECT k.person_id, k.public_key FROM recipient_keys k
               JOIN devices d ON d.key_id = k.device_key_id
               WHERE k.school_id = ? AND d.revoked_at IS NULL AND d.person_id = k.person_id
               ORDER BY k.created_at, k.rowid""",
            [str(school_id)],
        ).fetchall()
    found: dict[str, list[bytes]] = {}
    for person_id, public_key in rows:
        found.setdefault(person_id, []).append(public_key)
    return found


def sources(db: Db, school_id: uuid.UUID) -> dict[str, tuple[str, str, str, bytes, bytes]]:
    """Each proposed key's device, by key id: (device key id, device label, when it was proposed, the
    device's public key, the device's proof that the key is its own)."""
    with db.read() as s:
        rows = s.execute(
            """SELECT k.key_id, k.device_key_id, COALESCE(d.label, ''), k.created_at, d.public_key,
                      k.proof FROM recipient_keys k
               JOIN devices d ON d.key_id = k.device_key_id WHERE k.school_id = ?""",
            [str(school_id)],
        ).fetchall()
    return {key_id: (device, label[:100], at, device_pk, proof or b"") for key_id, device, label, at, device_pk, proof in rows}


def retire_oldest(db: Db, person_id: uuid.UUID, keep: int) -> int:
    """Forgets all but the newest `keep` device keys of a person. DEMO ONLY (server/demo.py): anyone
    given a demo code can enrol as the demo DSL, and an envelope holds at most 16 recipients."""
    with db.write() as s:
        cursor = s.execute(
            """DELETE FROM recipient_keys WHERE person_id = ? AND key_id NOT IN
               (SELECT key_id FROM recipient_keys WHERE person_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?)""",
            [str(person_id), str(person_id), keep],
        )
        return cursor.rowcount


def count_by_person(db: Db, school_id: uuid.UUID) -> dict[str, tuple[int, int]]:
    """For the admin's person list: (keys of active devices, of which not yet in the keyring)."""
    with db.read() as s:
        rows = s.execute(
            """SELECT k.person_id, COUNT(*), COUNT(*) - COUNT(r.key_id) FROM recipient_keys k
               JOIN devices d ON d.key_id = k.device_key_id
               LEFT JOIN recipients r ON r.key_id = k.key_id
               WHERE k.school_id = ? AND d.revoked_at IS NULL GROUP BY k.person_id""",
            [str(school_id)],
        ).fetchall()
    return {person_id: (total, waiting) for person_id, total, waiting in rows}
