"""The school's keyring as the server keeps it: drafts for the trust key holder to sign, and the
signed versions it publishes. The server can propose; only the trust key can make a keyring."""

from __future__ import annotations

import uuid

import msgspec

from server import recipient_keys
from server.clock import iso
from server.db import Db
from server.errors import Refused
from server.sql import insert
from server.schools import TEAM_ROLES, get_school, list_contacts, list_people
from sync import keyring as kr
from sync import signing
from sync.envelope import MAX_RECIPIENTS
from sync.wire import DeviceSource, KeyringDraft, KeySource


def current(db: Db, school_id: uuid.UUID) -> kr.SignedKeyring | None:
    with db.read() as s:
        row = s.execute(
            "SELECT payload, signature FROM keyrings WHERE school_id = ? ORDER BY version DESC LIMIT 1",
            [str(school_id)],
        ).fetchone()
    return kr.SignedKeyring(payload=row[0], signature=row[1]) if row else None


def draft(db: Db, school_id: uuid.UUID) -> kr.KeyringPayload:
    """The next version: every key of every team member, and the school's contacts.

    A team member's keys are the one an admin registered with the person (`lantern admin person add
    --recipient-public-key`), if any, then one per enrolled device that made its own key
    (server/recipient_keys.py), oldest first: one recipient entry per key, so that a note reaches the
    DSL on each of their devices. A revoked device's key is left out."""
    school = get_school(db, school_id)
    if school is None:
        raise Refused("not_found", "no such school")
    held = current(db, school_id)
    version = msgspec.json.decode(held.payload, type=kr.KeyringPayload).version + 1 if held else 1
    payload = kr.KeyringPayload(
        v=1,
        school_id=school_id,
        school_name=school["name"],
        version=version,
        issued_at=iso(),
        recipients=_recipients(db, school_id),
        contacts=[kr.Contact(kind=c["kind"], name=c["name"], phone=c["phone"]) for c in list_contacts(db, school_id)],
        # DEMO ONLY: the demo school's trust key is on this server, so its approval would prove nothing;
        # its keyrings name no devices, and every device counts, as in keyrings from before approvals.
        devices=None if school["demo"] else _devices(db, school_id),
    )
    _check_envelope_limit(payload)
    return payload


def draft_for_app(db: Db, school_id: uuid.UUID) -> KeyringDraft:
    """The draft as the trust key holder's app reads it: the payload's bytes, where each key came from,
    and each device's public key and the approval it sent at enrolment."""
    payload = draft(db, school_id)
    proposed = recipient_keys.sources(db, school_id)
    return KeyringDraft(
        payload=msgspec.json.encode(payload),
        sources=[
            KeySource(r.key_id, *proposed[r.key_id]) if r.key_id in proposed else KeySource(r.key_id)
            for r in payload.recipients
        ],
        devices=_device_sources(db, [d.key_id for d in payload.devices or []]),
    )


def _device_sources(db: Db, key_ids: list[str]) -> list[DeviceSource]:
    with db.read() as s:
        rows = {
            k: (public_key, enrolled_at, approval or b"")
            for k, public_key, enrolled_at, approval in s.execute(
                f"SELECT key_id, public_key, enrolled_at, enrol_approval FROM devices WHERE key_id IN ({','.join('?' * len(key_ids))})",
                key_ids,
            )
        }
    return [DeviceSource(k, *rows[k]) for k in key_ids]


def _recipients(db: Db, school_id: uuid.UUID) -> list[kr.KeyringRecipient]:
    on_devices = recipient_keys.proposed(db, school_id)
    entries, seen = [], set()
    for p in list_people(db, school_id):
        if p["role"] not in TEAM_ROLES:
            continue
        keys = ([p["recipient_public_key"]] if p["recipient_public_key"] else []) + on_devices.get(p["id"], [])
        for public_key in keys:
            key_id = signing.key_id(public_key).hex()
            if key_id in seen:  # a key twice would make every staff device refuse to seal
                continue
            seen.add(key_id)
            entries.append(
                kr.KeyringRecipient(
                    key_id=key_id, person_id=uuid.UUID(p["id"]), role=p["role"], name=p["name"], public_key=public_key
                )
            )
    return entries


def _devices(db: Db, school_id: uuid.UUID) -> list[kr.ApprovedDevice]:
    """Every enrolled, unrevoked device of the school, oldest first: the trust key holder approves them
    by signing (a revoked device drops out, and with it its notes' standing and the roster)."""
    with db.read() as s:
        rows = s.execute(
            """SELECT d.key_id, d.person_id, p.name, p.role, COALESCE(d.label, '') FROM devices d
               JOIN people p ON p.id = d.person_id
               WHERE d.school_id = ? AND d.revoked_at IS NULL ORDER BY d.enrolled_at, d.rowid""",
            [str(school_id)],
        ).fetchall()
    return [
        kr.ApprovedDevice(key_id=k, person_id=uuid.UUID(person), name=name, role=role, label=label[:100])
        for k, person, name, role, label in rows
    ]


def _check_envelope_limit(payload: kr.KeyringPayload) -> None:
    """An envelope holds at most 16 recipient keys (docs/envelope.md): a keyring whose concern team, or
    headteacher or chair, holds more could not be sealed to, so it is refused here, not on a teacher's
    device in the middle of a note."""
    groups = {
        "the DSL and deputies": kr.concern_recipients(payload),
        "the headteacher": [r for r in payload.recipients if r.role == "headteacher"],
        "the chair of governors": [r for r in payload.recipients if r.role == "chair_of_governors"],
    }
    for who, keys in groups.items():
        if len(keys) > MAX_RECIPIENTS:
            raise Refused(
                "invalid_request",
                f"{who} hold {len(keys)} keys, more than the {MAX_RECIPIENTS} a note can be sealed to: "
                "revoke devices no longer used (lantern admin device revoke), then draft again",
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
    if kr.expired(payload):
        raise Refused("invalid_request", f"keyring_expired: version {payload.version} expired at {payload.expires_at}; sign it again")
    people = {p["id"]: p for p in list_people(db, school_id)}
    for r in payload.recipients:
        if str(r.person_id) not in people:
            raise Refused("invalid_request", f"recipient {r.name!r} is not a person of this school")
    with db.write() as s:
        if s.execute(
            "SELECT 1 FROM keyrings WHERE school_id = ? AND version = ?", [str(school_id), payload.version]
        ).fetchone():
            return payload  # the same bytes again (kr.verify refused other bytes): nothing to do
        insert(s, "keyrings", {
            "school_id": str(school_id), "version": payload.version, "payload": signed.payload,
            "signature": signed.signature, "published_at": iso(),
        })
        s.execute("DELETE FROM recipients WHERE school_id = ?", [str(school_id)])
        s.executemany(
            "INSERT INTO recipients (key_id, school_id, person_id, role, name, public_key) VALUES (?, ?, ?, ?, ?, ?)",
            [(r.key_id, str(school_id), str(r.person_id), r.role, r.name, r.public_key) for r in payload.recipients],
        )
    return payload
