"""The child roster (docs/protocol.md, "The roster"): relayed sealed, never read.

Every device registers a roster key, an HPKE P-256 public key it made (its private half is kept on
the device wrapped under its person's profile key). The DSL's app seals the roster to those keys,
one envelope per group of at most 16, and publishes them here with the roster's version. The server
checks each envelope's author signature and school, as for a note, and keeps, per roster key, the
newest envelope sealed to it. It can see how many children's roster fit in a size bucket, and to
which devices it went; never a name.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.clock import iso
from server.db import Db
from server.devices import Device, check_key_proof
from server.envelopes import check_batch
from server.errors import Refused
from sync import key_proofs, signing

# Who may publish the roster, and see which devices still lack it.
PUBLISHERS = ("dsl", "deputy_dsl")


@dataclass(frozen=True)
class Held:
    version: int
    data: bytes
    author_public_key: bytes


def register_key(db: Db, device: Device, public_key: bytes, proof: bytes = b"") -> str:
    """Stores this device's roster public key, replacing any it had (and the envelope sealed to the
    old one, which it can no longer open); the same key again only adds its proof, if it had none.
    Returns its key id."""
    try:
        signing.public_key_from_bytes(public_key)
    except ValueError:
        raise Refused("invalid_key", "the roster public key is not a P-256 point") from None
    check_key_proof(db, device, key_proofs.ROSTER_KEY, public_key, proof)
    key_id = signing.key_id(public_key).hex()
    with db.write() as s:
        owner = s.execute("SELECT device_key_id FROM roster_keys WHERE key_id = ?", [key_id]).fetchone()
        if owner is not None:
            if owner[0] != device.key_id:
                raise Refused("conflict", "this roster key is already another device's")
            if proof:
                s.execute("UPDATE roster_keys SET proof = ? WHERE key_id = ?", [proof, key_id])
            return key_id
        old = s.execute("SELECT key_id FROM roster_keys WHERE device_key_id = ?", [device.key_id]).fetchone()
        if old is not None:
            s.execute("DELETE FROM roster_envelopes WHERE roster_key_id = ?", [old[0]])
            s.execute("DELETE FROM roster_keys WHERE key_id = ?", [old[0]])
        s.execute(
            """INSERT INTO roster_keys (key_id, school_id, device_key_id, public_key, created_at, proof)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [key_id, str(device.school_id), device.key_id, public_key, iso(), proof or None],
        )
    return key_id


def _may_publish(device: Device) -> None:
    if device.role not in PUBLISHERS:
        raise Refused("not_dsl", "only the DSL and deputy DSLs publish the school's roster")


def publish(db: Db, device: Device, version: int, batch: list[bytes]) -> int:
    """Stores a publication, all or nothing: every envelope is checked first (well formed, signed by
    the publishing device, for this school), then each becomes the envelope of each of its recipients
    that is a roster key of one of the school's active devices. Recipients it does not know are left
    out (a device revoked since the DSL's app last asked). A version older than the school's is
    refused; the same version adds envelopes (for devices enrolled since). Returns how many of the
    school's roster keys hold this version now."""
    _may_publish(device)
    checked = check_batch(device, batch)
    school = str(device.school_id)
    with db.write() as s:
        current = s.execute("SELECT version FROM rosters WHERE school_id = ?", [school]).fetchone()
        if current is not None and version < current[0]:
            raise Refused("roster_outdated", f"the school's roster is at version {current[0]}")
        known = {
            row[0]
            for row in s.execute(
                """SELECT k.key_id FROM roster_keys k JOIN devices d ON d.key_id = k.device_key_id
                   WHERE k.school_id = ? AND d.revoked_at IS NULL""",
                [school],
            )
        }
        now = iso()
        if current is None or version > current[0]:
            s.execute(
                """INSERT INTO rosters (school_id, version, author_key_id, published_at) VALUES (?, ?, ?, ?)
                   ON CONFLICT (school_id) DO UPDATE SET version = excluded.version,
                   author_key_id = excluded.author_key_id, published_at = excluded.published_at""",
                [school, version, device.key_id, now],
            )
        for data, header in checked:
            for recipient in header.recipient_key_ids:
                if recipient.hex() not in known:
                    continue
                s.execute(
                    """INSERT INTO roster_envelopes (roster_key_id, school_id, version, author_key_id, data, stored_at)
                       VALUES (?, ?, ?, ?, ?, ?)
                       ON CONFLICT (roster_key_id) DO UPDATE SET version = excluded.version,
                       author_key_id = excluded.author_key_id, data = excluded.data, stored_at = excluded.stored_at""",
                    [recipient.hex(), school, version, device.key_id, data, now],
                )
        return s.execute(
            "SELECT COUNT(*) FROM roster_envelopes WHERE school_id = ? AND version = ?", [school, version]
        ).fetchone()[0]


def held(db: Db, device: Device) -> Held:
    """The newest roster envelope sealed to this device's roster key, with its author's public key."""
    with db.read() as s:
        row = s.execute(
            """SELECT e.version, e.data, d.public_key FROM roster_keys k
               JOIN roster_envelopes e ON e.roster_key_id = k.key_id
               JOIN devices d ON d.key_id = e.author_key_id
               WHERE k.device_key_id = ? AND e.school_id = ?""",
            [device.key_id, str(device.school_id)],
        ).fetchone()
    if row is None:
        raise Refused("no_roster", "no roster has been sealed to this device's roster key yet")
    return Held(version=row[0], data=row[1], author_public_key=row[2])


def missing(db: Db, device: Device) -> tuple[int, list[tuple[str, bytes, bytes, bytes]]]:
    """The school's roster version (0 for none), and the roster keys of its active devices that hold
    no envelope of that version (the devices enrolled, or given a new key, since it was sealed): each
    (key id, public key, its device's public key, its proof)."""
    _may_publish(device)
    school = str(device.school_id)
    with db.read() as s:
        row = s.execute("SELECT version FROM rosters WHERE school_id = ?", [school]).fetchone()
        version = row[0] if row else 0
        keys = s.execute(
            """SELECT k.key_id, k.public_key, d.public_key, k.proof FROM roster_keys k
               JOIN devices d ON d.key_id = k.device_key_id
               LEFT JOIN roster_envelopes e ON e.roster_key_id = k.key_id AND e.version = ?
               WHERE k.school_id = ? AND d.revoked_at IS NULL AND e.roster_key_id IS NULL
               ORDER BY k.created_at, k.rowid""",
            [version, school],
        ).fetchall()
    return version, [(key_id, public_key, device_key, proof or b"") for key_id, public_key, device_key, proof in keys]
