"""The school's signed keyring: whom devices seal notes to, and whom staff call (docs/protocol.md).

The signature covers the payload bytes exactly as they travel, so nobody needs a canonical JSON:
readers verify first, then parse.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Annotated, Literal

import msgspec
from cryptography.hazmat.primitives.asymmetric import ec

from sync import signing

LABEL = b"lantern-keyring-v1"
# How long a signed keyring is current (docs/protocol.md, "Fresh keyrings"): long enough that a trust
# key holder re-signs it once a month, short enough that a server holding back a newer one is found.
VALIDITY = timedelta(days=30)

RecipientRole = Literal["dsl", "deputy_dsl", "headteacher", "chair_of_governors"]
ContactKind = Literal[
    "emergency", "police", "front_door", "out_of_hours", "lado",
    "dsl", "deputy_dsl", "headteacher", "chair_of_governors", "other",
]
KeyIdHex = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
PublicKey = Annotated[bytes, msgspec.Meta(min_length=65, max_length=65)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Phone = Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9 ]{3,20}$")]


class KeyringRecipient(msgspec.Struct, frozen=True):
    key_id: KeyIdHex
    person_id: uuid.UUID
    role: RecipientRole
    name: Text
    public_key: PublicKey


class Contact(msgspec.Struct, frozen=True):
    kind: ContactKind
    name: Text
    phone: Phone


class ApprovedDevice(msgspec.Struct, frozen=True):
    """A device the trust key holder approved: its signing key's id, and whom it was enrolled to."""

    key_id: KeyIdHex
    person_id: uuid.UUID
    name: Text
    role: Literal["staff", "dsl", "deputy_dsl", "headteacher", "chair_of_governors", "admin"]
    label: Annotated[str, msgspec.Meta(max_length=100)] = ""


class KeyringPayload(msgspec.Struct, frozen=True):
    # Readers ignore unknown fields: a later version may add some without breaking older devices.
    v: Literal[1]
    school_id: uuid.UUID
    school_name: Text
    version: Annotated[int, msgspec.Meta(ge=1)]
    issued_at: str
    recipients: list[KeyringRecipient]
    contacts: list[Contact]
    # When devices stop calling it current (ISO 8601 UTC), in the manner of The Update Framework's
    # timestamp: set by the trust key holder as they sign; "" in keyrings from before it, which never expire.
    expires_at: str = ""
    # The devices the trust key approved (docs/protocol.md, "Approved devices"). None in keyrings from
    # before it, whose readers take every device the server names, as they always did.
    devices: list[ApprovedDevice] | None = None


class SignedKeyring(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    payload: bytes
    signature: Annotated[bytes, msgspec.Meta(min_length=64, max_length=64)]


class KeyringError(ValueError):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def approves(payload: KeyringPayload, device_key_id: str) -> bool | None:
    """Whether the keyring approves this device (hex key id); None when it predates approvals."""
    if payload.devices is None:
        return None
    return any(d.key_id == device_key_id for d in payload.devices)


def sign(payload: KeyringPayload, trust_key: ec.EllipticCurvePrivateKey) -> SignedKeyring:
    data = msgspec.json.encode(payload)
    return SignedKeyring(payload=data, signature=signing.sign(trust_key, LABEL, data))


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def valid_for(payload: KeyringPayload, period: timedelta = VALIDITY, *, now: datetime | None = None) -> KeyringPayload:
    """The payload as its signer issues it: dated now, current for `period`."""
    now = now or datetime.now(timezone.utc)
    return msgspec.structs.replace(payload, issued_at=_utc(now), expires_at=_utc(now + period))


def expires(payload: KeyringPayload) -> datetime | None:
    """When it stops being current; None for a keyring that never does (or whose date cannot be read,
    which verify refuses)."""
    if not payload.expires_at:
        return None
    return datetime.fromisoformat(payload.expires_at.replace("Z", "+00:00"))


def expired(payload: KeyringPayload, now: datetime | None = None) -> bool:
    when = expires(payload)
    return when is not None and when <= (now or datetime.now(timezone.utc))


def verify(
    signed: SignedKeyring,
    trust_public_key: bytes,
    school_id: uuid.UUID,
    accepted: SignedKeyring | None = None,
    *,
    min_version: int = 0,
) -> KeyringPayload:
    """The device's checks, in order. `accepted` is the keyring it already holds, if any; `min_version`
    the version its enrolment code was issued under (nothing older is the school's current keyring).
    An expired keyring passes: the caller says so (expired) and still seals to it."""
    trust = signing.public_key_from_bytes(trust_public_key)
    if not signing.verify(trust, LABEL, signed.payload, signed.signature):
        raise KeyringError("keyring_bad_signature")
    try:
        payload = msgspec.json.decode(signed.payload, type=KeyringPayload)
    except msgspec.ValidationError as exc:
        raise KeyringError("keyring_invalid", str(exc)) from None
    if payload.school_id != school_id:
        raise KeyringError("keyring_invalid", "signed for another school")
    if payload.expires_at:
        try:
            when = expires(payload)
        except ValueError:
            raise KeyringError("keyring_invalid", "expires_at is not an ISO 8601 time") from None
        if when.tzinfo is None:
            raise KeyringError("keyring_invalid", "expires_at has no time zone")
    for r in payload.recipients:
        if signing.key_id(r.public_key).hex() != r.key_id:
            raise KeyringError("keyring_invalid", "a recipient's key id does not match its key")
        try:
            signing.public_key_from_bytes(r.public_key)
        except ValueError:
            raise KeyringError("keyring_invalid", "a recipient's key is not a P-256 point") from None
    if payload.version < min_version:
        raise KeyringError("keyring_rollback", f"version {payload.version}, older than the enrolment code's {min_version}")
    if accepted is not None:
        held = msgspec.json.decode(accepted.payload, type=KeyringPayload)
        if payload.version < held.version or (payload.version == held.version and signed.payload != accepted.payload):
            raise KeyringError("keyring_rollback", f"version {payload.version} after {held.version}")
    return payload


# Who may read what is decided on the author's device from the keyring's roles (docs/protocol.md,
# "The keyring"). pwa/common/keyring.js routeRecipients is the same rule in JavaScript, and
# tests/vectors/routing.json holds both to the same answers. An empty list means nobody can receive
# the note: the author's device says so and seals nothing.


def concern_recipients(payload: KeyringPayload) -> list[KeyringRecipient]:
    """Who reads a concern: the DSL and every deputy."""
    return [r for r in payload.recipients if r.role in ("dsl", "deputy_dsl")]


def allegation_recipients(
    payload: KeyringPayload, *, about_headteacher: bool, subject_person_id: uuid.UUID | None = None
) -> list[KeyringRecipient]:
    """Who reads an allegation against a member of staff: the headteacher, or the chair of governors
    when it is about the headteacher (said so, or the person named is the headteacher); never the
    person it is about, whatever their role."""
    subject_is_head = any(r.person_id == subject_person_id and r.role == "headteacher" for r in payload.recipients)
    role = "chair_of_governors" if about_headteacher or subject_is_head else "headteacher"
    return [r for r in payload.recipients if r.role == role and r.person_id != subject_person_id]


def people_recipients(payload: KeyringPayload, person_ids: list[uuid.UUID]) -> list[KeyringRecipient]:
    """The same people as an earlier note (an addendum goes where its note went), by their current keys."""
    return [r for r in payload.recipients if r.person_id in person_ids]
