"""Devices: one-time enrolment codes, enrolment, revocation, and checking a device's signed request."""

from __future__ import annotations

import base64
import dataclasses
import functools
import re
import uuid
from dataclasses import dataclass, field

from server.clock import iso, now
from server.db import Db
from server.errors import Refused
from server.sql import dicts, insert
from server.schools import get_person, get_school
from sync.wire import DeviceKey
from sync import codes, key_proofs, requests, signing

DEFAULT_CODE_HOURS = 24


@dataclass(frozen=True)
class Device:
    """The device behind an authenticated request, with what it is entitled to."""

    key_id: str
    school_id: uuid.UUID
    person_id: uuid.UUID
    role: str
    public_key: bytes = field(repr=False)  # as enrolled: what its envelopes are checked against
    # A request whose nonce is to be spent in the same transaction as what it authorises (a push:
    # one commit, not two): (nonce, expires_at), for spend_nonce. None once spent.
    unspent_nonce: tuple[str, int] | None = None


def current_keyring_version(db: Db, school_id: str) -> int:
    with db.read() as s:
        (version,) = s.execute("SELECT COALESCE(MAX(version), 0) FROM keyrings WHERE school_id = ?", [school_id]).fetchone()
    return version


def issue_code(db: Db, person_id: uuid.UUID, hours: float = DEFAULT_CODE_HOURS) -> codes.Code:
    """A code made here, by the admin (`lantern admin code issue`): the server knows its secret, so its
    approval proves nothing to the trust key holder, who approves its device by eye."""
    person = _person(db, person_id)
    school = get_school(db, person["school_id"])
    # The device refuses any keyring older than the one current now (docs/protocol.md, "Enrolment").
    code = codes.new_code(school["trust_public_key"], current_keyring_version(db, school["id"]))
    store_code(db, person_id, code.token(), hours)
    return code


def store_code(db: Db, person_id: uuid.UUID, token: bytes, hours: float = DEFAULT_CODE_HOURS) -> str:
    """Keeps a code's token for the person it was issued to, until it is used or `hours` pass; returns
    when it expires. A code the trust key holder's app made arrives here as its token alone."""
    person = _person(db, person_id)
    expires_at = iso(now() + hours * 3600)
    with db.write() as s:
        if s.execute("SELECT 1 FROM enrolment_codes WHERE secret_hash = ?", [codes.token_hash(token)]).fetchone():
            raise Refused("conflict", "a code with this token exists already")
        insert(s, "enrolment_codes", {
            "secret_hash": codes.token_hash(token), "school_id": person["school_id"],
            "person_id": person["id"], "created_at": iso(), "expires_at": expires_at,
            "used_at": None, "device_key_id": None,
        })
    return expires_at


def _person(db: Db, person_id: uuid.UUID) -> dict:
    person = get_person(db, person_id)
    if person is None:
        raise Refused("not_found", "no such person")
    return person


def enrol(
    db: Db, token_text: str, device_public_key: bytes, proof: bytes, label: str, approval: bytes
) -> tuple[dict, dict, str]:
    """Spends a code on a device key. Returns (school, person, device key id). The approval is kept for
    the trust key holder's app, which alone can check it (sync/codes.py)."""
    try:
        token = codes.decode_token(token_text)
    except ValueError:
        raise Refused("enrolment_code_invalid", "that is not an enrolment code") from None
    try:
        valid = requests.enrol_proof_valid(device_public_key, token, proof)
    except ValueError:
        raise Refused("invalid_key", "the device key is not a P-256 point") from None
    if not valid:
        raise Refused("invalid_proof", "the proof is not signed by the device key")
    key_id = signing.key_id(device_public_key).hex()
    with db.write() as s:
        rows = dicts(s, "SELECT school_id, person_id, expires_at, used_at FROM enrolment_codes WHERE secret_hash = ?",
                     [codes.token_hash(token)])
        if not rows:
            raise Refused("enrolment_code_invalid", "no such enrolment code")
        code = rows[0]
        if code["used_at"]:
            raise Refused("enrolment_code_used", "this code has been used: ask for a new one")
        if code["expires_at"] <= iso():
            raise Refused("enrolment_code_expired", "this code has expired: ask for a new one")
        if not s.execute("SELECT 1 FROM keyrings WHERE school_id = ?", [code["school_id"]]).fetchone():
            raise Refused("no_keyring", "the school has not published a signed keyring yet")
        if s.execute("SELECT 1 FROM devices WHERE key_id = ?", [key_id]).fetchone():
            raise Refused("conflict", "this device key is already enrolled")
        insert(s, "devices", {
            "key_id": key_id, "school_id": code["school_id"], "public_key": device_public_key,
            "enrolled_at": iso(), "person_id": code["person_id"], "label": label[:100], "revoked_at": None,
            "enrol_approval": approval,
        })
        s.execute("UPDATE enrolment_codes SET used_at = ?, device_key_id = ? WHERE secret_hash = ?",
                  [iso(), key_id, codes.token_hash(token)])
    return get_school(db, code["school_id"]), get_person(db, code["person_id"]), key_id


def list_devices(db: Db, school_id: uuid.UUID) -> list[dict]:
    with db.read() as s:
        return dicts(
            s,
            """SELECT d.key_id, d.label, d.enrolled_at, d.revoked_at, p.name AS person, p.role
               FROM devices d LEFT JOIN people p ON p.id = d.person_id
               WHERE d.school_id = ? ORDER BY d.rowid""",
            [str(school_id)],
        )


def revoke(db: Db, key_id: str) -> bool:
    """Marks a device revoked, and forgets its push subscription: a lost phone gets no more alerts.
    Returns False if there is no such device or it was already revoked."""
    with db.write() as s:
        cursor = s.execute(
            "UPDATE devices SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", [iso(), key_id]
        )
        s.execute("DELETE FROM push_subscriptions WHERE device_key_id = ?", [key_id])
        return cursor.rowcount == 1


def device_key(db: Db, school_id: uuid.UUID, key_id: str) -> DeviceKey | None:
    """A device of this school: its public key and the person it was enrolled to (revoked or not: what
    it signed while enrolled stays verifiable)."""
    with db.read() as s:
        row = s.execute(
            "SELECT d.public_key, p.id, p.name FROM devices d JOIN people p ON p.id = d.person_id"
            " WHERE d.key_id = ? AND d.school_id = ?",
            [key_id, str(school_id)],
        ).fetchone()
    return DeviceKey(key_id=key_id, public_key=row[0], person_id=uuid.UUID(row[1]), name=row[2]) if row else None


def check_key_proof(db: Db, device: Device, label: bytes, public_key: bytes, proof: bytes) -> None:
    """Refuses a key proof (sync/key_proofs.py) that this device did not make. An empty one is taken,
    from apps made before proofs, and proves nothing to any reader."""
    if not proof:
        return
    held = device_key(db, device.school_id, device.key_id)
    if held is None or not key_proofs.proven(held.public_key, label, device.school_id, public_key, proof):
        raise Refused("invalid_proof", "the key's proof is not this device's signature over it")


# Each header exactly as docs/protocol.md writes it: Python's int() would also take " 12", "+12",
# "1_2" and other scripts' digits, which another implementation would sign differently.
HEADER_FORMATS = {
    requests.DEVICE: (re.compile(r"[0-9a-f]{64}"), "64 lower-case hex digits"),
    requests.DATE: (re.compile(r"[0-9]{1,12}"), "Unix time in seconds, ASCII digits only"),
    requests.NONCE: (re.compile(r"[0-9a-f]{32}"), "32 lower-case hex digits"),
    requests.SIGNATURE: (re.compile(r"[A-Za-z0-9+/]{86}=="), "the base64 of 64 bytes"),
}


# Expired nonces are swept at most this often: each sweep reads the whole table (it has no index on
# the expiry, which every insert would pay for), so once a request it cost more than the request.
SWEEP_EVERY_SECONDS = 10
_swept_at = 0.0


def _sweep_nonces(s) -> None:
    global _swept_at
    if now() - _swept_at >= SWEEP_EVERY_SECONDS:
        s.execute("DELETE FROM nonces WHERE expires_at < ?", [int(now())])
        _swept_at = now()


def spend_nonce(s, device: Device) -> None:
    """Spends a request's nonce inside the caller's write transaction, refusing one already spent."""
    nonce, expires_at = device.unspent_nonce
    _sweep_nonces(s)
    if s.execute("SELECT 1 FROM nonces WHERE device_key_id = ? AND nonce = ?", [device.key_id, nonce]).fetchone():
        raise Refused("replayed_request", "this request has been seen before")
    s.execute("INSERT INTO nonces (device_key_id, nonce, expires_at) VALUES (?, ?, ?)", [device.key_id, nonce, expires_at])


# Devices' public keys, loaded once each: every push checks two signatures of its device (the request
# and its envelopes), and loading a point (checking it is on the curve) is a twentieth of a push.
# Keys are immutable; a revoked device is refused before its key is used (authenticate).
loaded_key = functools.lru_cache(maxsize=10_000)(signing.public_key_from_bytes)


def signature_headers(headers: dict[str, str]) -> dict[str, str]:
    """The request's headers by lower-case name, once the four a signature needs are there and well
    formed: the first of the checks, needing neither the database nor a key."""
    h = {k.lower(): v for k, v in headers.items()}
    if not all(name.lower() in h for name in HEADER_FORMATS):
        raise Refused("unauthenticated", "this request needs a device signature")
    for name, (pattern, words) in HEADER_FORMATS.items():
        if not pattern.fullmatch(h[name.lower()]):
            raise Refused("unauthenticated", f"{name} must be {words}")
    return h


@dataclass(frozen=True)
class SignedRequest:
    """What a device signed (docs/protocol.md, "Authenticated requests"), with the signature's headers
    by lower-case name, as signature_headers gives them: checked present and well formed, nothing more."""

    method: str
    path_and_query: str
    headers: dict[str, str]
    body: bytes


def authenticate(db: Db, signed: SignedRequest, *, spend: bool = True) -> Device:
    """Checks a signed request, in the spec's order, from where signature_headers stopped. With `spend`
    false the nonce is only checked unspent here, and the Device carries it for the caller's own write
    transaction to spend (spend_nonce), so that a refused write spends nothing."""
    h = signed.headers
    key_id, date, nonce = h[requests.DEVICE.lower()], h[requests.DATE.lower()], h[requests.NONCE.lower()]
    signature = base64.b64decode(h[requests.SIGNATURE.lower()])
    date_value = int(date)
    # One read for the device and whether the nonce was spent: each read waits for the connection
    # while a write commits (server/db.py), and a push is checked while others commit.
    with db.read() as s:
        row = s.execute(
            """SELECT d.public_key, d.school_id, d.person_id, d.revoked_at, p.role
               FROM devices d JOIN people p ON p.id = d.person_id WHERE d.key_id = ?""",
            [key_id],
        ).fetchone()
        seen = not spend and s.execute("SELECT 1 FROM nonces WHERE device_key_id = ? AND nonce = ?", [key_id, nonce]).fetchone()
    if row is None:
        raise Refused("unknown_device", "this device is not enrolled")
    public_key, school_id, person_id, revoked_at, role = row
    if revoked_at:
        raise Refused("device_revoked", "this device has been revoked")
    if abs(date_value - now()) > requests.MAX_SKEW_SECONDS:
        raise Refused("stale_request", "the request's date is too far from the server's")
    message = requests.request_message(signed.method, signed.path_and_query, date, nonce, signed.body)
    if not signing.verify(loaded_key(public_key), requests.REQUEST_LABEL, message, signature):
        raise Refused("bad_request_signature", "the signature does not match the request")
    device = Device(key_id=key_id, school_id=uuid.UUID(school_id), person_id=uuid.UUID(person_id), role=role,
                    public_key=public_key, unspent_nonce=(nonce, date_value + 2 * requests.MAX_SKEW_SECONDS))
    if not spend:
        if seen:  # said only to a request correctly signed, as a spent nonce is below
            raise Refused("replayed_request", "this request has been seen before")
        return device
    # Only a correctly signed request spends its nonce, so nobody can burn a device's nonces. A nonce
    # may use the disk's reserve: without it not even an urgent note could be sent; nonces expire.
    with db.write(urgent=True) as s:
        spend_nonce(s, device)
    return dataclasses.replace(device, unspent_nonce=None)

