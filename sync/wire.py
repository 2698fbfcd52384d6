"""Wire types of the sync API (docs/protocol.md). Shared by the server and the Python client.

Envelopes and public keys travel as standard base64 (msgspec's encoding of `bytes`); key ids as
64 lower-case hex digits, so that they read the same in a URL, a log line and a JSON body.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec

from sync import envelope
from sync.keyring import SignedKeyring

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


class School(Strict):
    id: uuid.UUID
    name: str
    demo: bool


class Person(Strict):
    id: uuid.UUID
    name: str
    role: str


class EnrolRequest(Strict):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="the code's secret, base32")]
    device_public_key: PublicKey
    proof: Signature
    label: Annotated[str, msgspec.Meta(max_length=100)] = ""


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


class RecordsRequest(Strict):
    record_ids: RecordIds


class Receipted(Strict):
    recorded: int


class RecordStatus(Strict):
    record_id: uuid.UUID
    received: bool
    opened: bool


class StatusResponse(Strict):
    statuses: list[RecordStatus]
