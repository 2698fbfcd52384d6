"""Wire types of the sync API (docs/protocol.md). Shared by the server and the Python client.

Envelopes and public keys travel as standard base64 (msgspec's encoding of `bytes`); key ids as
64 lower-case hex digits, so that they read the same in a URL, a log line and a JSON body.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec

from sync import envelope
from sync.keyring import SignedKeyring, Text

KeyIdHex = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$", description="SHA-256 of a SEC1 public key, hex")]
PublicKey = Annotated[bytes, msgspec.Meta(min_length=65, max_length=65, description="P-256 point, SEC1 uncompressed")]
Signature = Annotated[bytes, msgspec.Meta(min_length=64, max_length=64, description="ECDSA P-256, r || s")]
EnvelopeBytes = Annotated[bytes, msgspec.Meta(max_length=envelope.MAX_ENVELOPE, description="a Lantern v1 envelope")]

MAX_BATCH = 100
MAX_PAGE = 500
# A request body's limit: a batch of small notes, or one note of the largest size in base64.
MAX_BODY = 16 * 1024 * 1024

RecordIds = Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=MAX_BATCH)]


class Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    pass


class Error(Strict):
    error: str
    detail: str = ""


class Health(Strict):
    status: Literal["ok"]


class View(Strict):
    person_id: uuid.UUID
    name: str
    device_key_id: KeyIdHex
    viewed_at: str  # ISO 8601 UTC, by the server's clock


class ViewTrail(Strict):
    """GET /api/v1/views?record_id=...: every time a device opened the record, oldest first."""

    record_id: uuid.UUID
    views: list[View]


class BankHoliday(Strict):
    date: Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    name: str


class Calendar(Strict):
    """GET /api/v1/calendar: the bank holidays from `first` to `last` (ISO dates, inclusive)."""

    region: Literal["england-and-wales"]
    first: str
    last: str
    bank_holidays: list[BankHoliday]
    source: str  # the library and its version that the dates came from


class School(Strict):
    id: uuid.UUID
    name: str
    demo: bool


class Person(Strict):
    id: uuid.UUID
    name: str
    role: str


# HMAC-SHA-256 of the code's secret over the device's public key (sync/codes.py approval).
Approval = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]


class EnrolRequest(Strict):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="the code's token, base32")]
    device_public_key: PublicKey
    proof: Signature
    approval: Approval
    label: Annotated[str, msgspec.Meta(max_length=100)] = ""


class People(Strict):
    """The school's people, for the trust key holder's app to issue a code to one of them."""

    people: list[Person]


class CodeRequest(Strict):
    """A code the trust key holder's app made: the server is given its token only (sync/codes.py)."""

    person_id: uuid.UUID
    token: Annotated[bytes, msgspec.Meta(min_length=10, max_length=10)]
    hours: Annotated[float, msgspec.Meta(gt=0, le=72)] = 24


class CodeStored(Strict):
    expires_at: str


class Enrolment(Strict):
    school: School
    person: Person
    device_key_id: KeyIdHex
    trust_public_key: PublicKey
    keyring: SignedKeyring


class DemoSchool(Strict):
    school_name: str


class DemoCode(Strict):
    code: str
    link: str


class DeviceKey(Strict):
    key_id: KeyIdHex
    public_key: PublicKey
    person_id: uuid.UUID  # the person the device was enrolled to
    name: Text


# A device's signature over a key it registers (sync/key_proofs.py); empty from devices made before it.
KeyProof = Annotated[bytes, msgspec.Meta(max_length=64, description="ECDSA P-256 r || s, or empty")]


class RecipientKeyRequest(Strict):
    public_key: PublicKey
    proof: KeyProof = b""


class RecipientKeyState(Strict):
    key_id: KeyIdHex
    # Whether the school's current signed keyring holds it, so that staff devices seal to it. Until
    # then it is only proposed: the trust key holder signs it into the next version.
    in_keyring: bool


class KeySource(Strict):
    """Where a recipient key of a draft came from, as the server says: the trust key holder's app shows
    it beside the key's fingerprint, so that a key the holder cannot place is the one they stop at."""

    key_id: KeyIdHex
    # The device that proposed it; both empty for a key an admin registered with the person.
    device_key_id: Annotated[str, msgspec.Meta(pattern="^([0-9a-f]{64})?$")] = ""
    device_label: Annotated[str, msgspec.Meta(max_length=100)] = ""
    proposed_at: str = ""
    device_public_key: Annotated[bytes, msgspec.Meta(max_length=65)] = b""
    proof: KeyProof = b""


class DeviceSource(Strict):
    """A device of a draft, as the server says it enrolled: its public key (whose SHA-256 is its key
    id) and the approval it sent, which the app that issued its code can check."""

    key_id: KeyIdHex
    public_key: PublicKey
    enrolled_at: str
    approval: Annotated[bytes, msgspec.Meta(max_length=32)] = b""  # empty for a device from before approvals


class KeyringDraft(Strict):
    # The next version's payload as the server would have it signed: UTF-8 JSON of a KeyringPayload,
    # for the trust key holder's app to check, date and sign (docs/protocol.md, "Signing in the app").
    payload: bytes
    sources: list[KeySource]
    devices: list[DeviceSource] = []


class KeyringPublished(Strict):
    version: Annotated[int, msgspec.Meta(ge=1)]


# The child roster (docs/protocol.md, "The roster"): sealed by the DSL's app to each device's roster
# key, relayed as opaque envelopes. A roster envelope's content is padded to at most 512 KiB, which
# holds a roster of several thousand children; the envelope limit below follows from it.
MAX_ROSTER_CONTENT_BUCKET = 1 << 19
MAX_ROSTER_ENVELOPE = 71 + 145 * 16 + 4 + MAX_ROSTER_CONTENT_BUCKET + 16 + 64
MAX_ROSTER_BATCH = 16
RosterVersion = Annotated[int, msgspec.Meta(ge=1, le=2**53 - 1, description="increases with each import")]
RosterEnvelopeBytes = Annotated[
    bytes, msgspec.Meta(max_length=MAX_ROSTER_ENVELOPE, description="a Lantern v1 envelope holding the roster")
]


class RosterKeyRequest(Strict):
    public_key: PublicKey
    proof: KeyProof = b""


class RosterKeyState(Strict):
    key_id: KeyIdHex


class RosterPublish(Strict):
    version: RosterVersion
    envelopes: Annotated[list[RosterEnvelopeBytes], msgspec.Meta(min_length=1, max_length=MAX_ROSTER_BATCH)]


class RosterPublished(Strict):
    version: int
    # How many roster keys of this school's devices now hold an envelope of this version from it.
    stored: int


class RosterEnvelope(Strict):
    version: int
    envelope: bytes
    # The publishing device's public key, to check the envelope's signature with; its id is in the
    # envelope's header, and the reader checks that it matches.
    author_public_key: PublicKey


class RosterKey(Strict):
    key_id: KeyIdHex
    public_key: PublicKey
    # The device that registered it and its proof, for the DSL's app to check against the devices the
    # trust key approved (docs/protocol.md, "Approved devices").
    device_public_key: PublicKey
    proof: KeyProof = b""


class RosterMissing(Strict):
    version: int  # the school's current roster version, 0 when none was published
    keys: list[RosterKey]


class PushRequest(Strict):
    envelopes: Annotated[list[EnvelopeBytes], msgspec.Meta(min_length=1, max_length=MAX_BATCH)]


class PushResult(Strict):
    record_id: uuid.UUID
    seq: int
    status: Literal["stored", "duplicate"]


class PushResponse(Strict):
    results: list[PushResult]


class PulledEnvelope(Strict):
    seq: int
    data: bytes


class PullResponse(Strict):
    envelopes: list[PulledEnvelope]
    more: bool
    after: int
    database: str  # the database's identity: another one means pulling again from the start
    high_water: int  # the last seq this server holds for the person: a cursor past it means it forgot


class RecordsRequest(Strict):
    record_ids: RecordIds


class Receipt(Strict):
    record_id: uuid.UUID
    # receipt_proof(content key, record id) (docs/envelope.md, "Receipts"): what shows the author that a
    # reader opened the record; the server keeps it and hands it back, and cannot make one.
    proof: Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]


class ReceiptsRequest(Strict):
    receipts: Annotated[list[Receipt], msgspec.Meta(min_length=1, max_length=MAX_BATCH)]


class Receipted(Strict):
    recorded: int


class RecordStatus(Strict):
    record_id: uuid.UUID
    received: bool
    opened: bool
    # For an urgent record: whether its alert reached a team device ("delivered"), is still being
    # sent ("sending"), or reached none ("unreached": no team device subscribed, or every push failed).
    # Absent (null) for a record that is not urgent, or not received.
    alert: Literal["delivered", "sending", "unreached"] | None = None
    # Whether a device of the team can open it: sealed to a key a team member's app made on an
    # unrevoked device, or (outside the demo school) to a key registered for a team member, or opened
    # already. False for a note sealed only to the demo school's keys on the server's disk, as when a
    # note is saved before the demo DSL has enrolled. Null when not received.
    readable: bool | None = None
    # Every distinct receipt proof a reader posted. `opened` is only the server's word; an author's
    # device says "opened" only when one of these is receipt_proof of the note's own content key.
    proofs: list[bytes] = []


class StatusResponse(Strict):
    statuses: list[RecordStatus]


# Urgent alerts by Web Push (docs/protocol.md, "Push subscriptions"; docs/alerts.md)

# base64url as the Push API's PushSubscription.toJSON() writes it (unpadded; padding accepted).
B64Url = r"[A-Za-z0-9_-]"
MAX_ENDPOINT = 2048  # real push services' endpoints are a few hundred characters


class PushKey(Strict):
    # The VAPID public key: base64url (no padding) of the 65-byte P-256 point, which is what
    # pushManager.subscribe() takes as its applicationServerKey.
    public_key: str


class PushSubscriptionKeys(Strict):
    p256dh: Annotated[str, msgspec.Meta(pattern=f"^{B64Url}{{87}}=?$", description="the browser's P-256 point, base64url")]
    auth: Annotated[str, msgspec.Meta(pattern=f"^{B64Url}{{22}}(==)?$", description="16 bytes, base64url")]


class PushSubscription(Strict):
    """The standard PushSubscription JSON, exactly as the browser's toJSON() gives it."""

    endpoint: Annotated[
        str, msgspec.Meta(min_length=10, max_length=MAX_ENDPOINT, pattern=r"^https?://[^\s/?#@]+/[^\s]*$")
    ]
    keys: PushSubscriptionKeys
    # Sent by browsers (usually null) and ignored: the push service, not the server, expires it.
    expirationTime: float | None = None  # noqa: N815 - the Push API's own spelling


class SubscriptionState(Strict):
    subscribed: bool


class DeviceState(Strict):
    revoked: bool


ReminderId = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{32}$", description="128 random bits, hex, made by the device")]
MAX_REMINDERS = 200  # in one request; a person holds at most server.reminders.MAX_PER_PERSON


class Reminder(Strict):
    id: ReminderId
    due_at: Annotated[int, msgspec.Meta(ge=0, description="Unix seconds")]


class RemindersRequest(Strict):
    """POST /api/v1/reminders: reminders to set (or move), and ids to cancel, all of this person's."""

    set: Annotated[list[Reminder], msgspec.Meta(max_length=MAX_REMINDERS)] = []
    cancel: Annotated[list[ReminderId], msgspec.Meta(max_length=MAX_REMINDERS)] = []


class RemindersState(Strict):
    pending: int  # how many of this person's reminders are waiting to be pushed


class ReminderPush(Strict):
    """A clock reminder's whole push payload: the device's own opaque id, nothing else."""

    type: Literal["reminder"]
    reminder_id: ReminderId


class UrgentPush(Strict):
    """The whole push payload: ids only. No name, no category, no words of the note, so nothing
    personal reaches a push service or a lock screen; the device fetches and opens the note itself.
    Every payload has the same length (two UUIDs), so its size says nothing either."""

    type: Literal["urgent"]
    alert_id: uuid.UUID
    record_id: uuid.UUID
