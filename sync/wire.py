"""Wire types of the sync API (docs/protocol.md). Shared by the server and the Python client.

Envelopes and public keys travel as standard base64 (msgspec's encoding of `bytes`); key ids as
64 lower-case hex digits, so that they read the same in a URL, a log line and a JSON body.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec

from sync import envelope

KeyIdHex = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$", description="SHA-256 of a SEC1 public key, hex")]
PublicKey = Annotated[bytes, msgspec.Meta(min_length=65, max_length=65, description="P-256 point, SEC1 uncompressed")]
EnvelopeBytes = Annotated[bytes, msgspec.Meta(max_length=envelope.MAX_ENVELOPE, description="a Lantern v1 envelope")]

MAX_BATCH = 100
# A request body's limit: a batch of small notes, or one note of the largest size in base64.
MAX_BODY = 16 * 1024 * 1024
MAX_PAGE = 500


class Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    pass


class Error(Strict):
    error: str
    detail: str = ""


class Recipient(Strict):
    key_id: KeyIdHex
    role: Literal["dsl", "deputy_dsl", "headteacher", "chair_of_governors"]
    name: str
    public_key: PublicKey


class Keyring(Strict):
    school_id: uuid.UUID
    recipients: list[Recipient]


class School(Strict):
    id: uuid.UUID
    name: str
    demo: bool


class DemoEnrolRequest(Strict):
    device_public_key: PublicKey


class Enrolment(Strict):
    school: School
    device_key_id: KeyIdHex
    keyring: Keyring


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


class Health(Strict):
    status: Literal["ok"]
