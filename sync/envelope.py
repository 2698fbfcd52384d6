"""The Lantern envelope, version 1 (docs/envelope.md is the spec).

A tiny public API: `seal`, `open`, `verify`, `parse`, `key_id`, and `receipt_proof` (what a reader
sends to show it opened an envelope). Every failure is an
`EnvelopeError` whose `code` is one of the spec's error codes, checked in the spec's order.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync import signing
from sync.signing import P256_ORDER, SIGNATURE_LEN, key_id, public_bytes, public_key_from_bytes  # noqa: F401 - re-exported

MAGIC = b"LNTN"
VERSION = 1
FLAG_URGENT = 0x01
MAX_RECIPIENTS = 16
MIN_BUCKET = 4096
MAX_BUCKET = 1 << 20
STANZA_LEN = 32 + 65 + 48
FIXED_LEN = 4 + 1 + 1 + 16 + 16 + 32 + 1  # up to and including recipient_count
TAG_LEN = 16
MAX_ENVELOPE = FIXED_LEN + STANZA_LEN * MAX_RECIPIENTS + 4 + MAX_BUCKET + TAG_LEN + SIGNATURE_LEN

WRAP_LABEL = b"lantern-envelope-v1/wrap"
SIGNATURE_LABEL = b"lantern-envelope-v1/signature"
RECEIPT_LABEL = b"lantern-envelope-v1/receipt"
ZERO_NONCE = bytes(12)

_SUITE = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)

ERROR_CODES = (
    "not_an_envelope",
    "unsupported_version",
    "too_large",
    "malformed",
    "unknown_author",
    "bad_signature",
    "not_a_recipient",
    "unwrap_failed",
    "decrypt_failed",
    "bad_padding",
)


class EnvelopeError(ValueError):
    def __init__(self, code: str, detail: str = "") -> None:
        assert code in ERROR_CODES
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Stanza:
    recipient_key_id: bytes
    enc: bytes
    wrapped_key: bytes


@dataclass(frozen=True)
class Header:
    urgent: bool
    school_id: uuid.UUID
    record_id: uuid.UUID
    author_key_id: bytes
    stanzas: tuple[Stanza, ...]
    raw: bytes  # the header bytes, which are the content AAD

    @property
    def recipient_key_ids(self) -> tuple[bytes, ...]:
        return tuple(s.recipient_key_id for s in self.stanzas)


@dataclass(frozen=True)
class Opened:
    header: Header
    content: bytes
    content_key: bytes  # for the reader's receipt (receipt_proof) and for a re-seal, nothing else


def bucket(content_length: int) -> int:
    needed = 4 + content_length
    if needed > MAX_BUCKET:
        raise ValueError(f"content of {content_length} bytes is larger than an envelope can carry")
    return max(MIN_BUCKET, 1 << (needed - 1).bit_length())


def pad(content: bytes) -> bytes:
    size = bucket(len(content))
    return len(content).to_bytes(4, "big") + content + bytes(size - 4 - len(content))


def unpad(padded: bytes) -> bytes:
    n = int.from_bytes(padded[:4], "big")
    if n > len(padded) - 4 or any(padded[4 + n :]):
        raise EnvelopeError("bad_padding")
    return padded[4 : 4 + n]


def _wrap_info(school_id: uuid.UUID, record_id: uuid.UUID, recipient_key_id: bytes) -> bytes:
    return WRAP_LABEL + bytes([VERSION]) + school_id.bytes + record_id.bytes + recipient_key_id


def _sign(author: ec.EllipticCurvePrivateKey, signed: bytes) -> bytes:
    return signing.sign(author, SIGNATURE_LABEL, signed)


def seal(content: bytes, **kwargs) -> bytes:
    """The envelope alone: what every sealer but a note's author needs (see seal_keeping_key)."""
    return seal_keeping_key(content, **kwargs)[0]


def seal_keeping_key(
    content: bytes,
    *,
    school_id: uuid.UUID,
    record_id: uuid.UUID,
    recipients: Sequence[ec.EllipticCurvePublicKey],
    author: ec.EllipticCurvePrivateKey,
    urgent: bool = False,
    stanzas_at_least: int = 0,
) -> tuple[bytes, bytes]:
    """The envelope and its content key, which the author keeps only to check a reader's receipt
    (receipt_proof) and MUST NOT use to encrypt anything else. With `stanzas_at_least`, stanzas for
    nobody are added up to that many (docs/envelope.md, "Padding the recipients")."""
    if record_id.version != 7:
        raise ValueError("record_id must be a UUIDv7")
    by_id = sorted((key_id(pk), pk) for pk in recipients) if recipients else []
    ids = [kid for kid, _ in by_id]
    if not 1 <= len(ids) <= MAX_RECIPIENTS or len(set(ids)) != len(ids):
        raise ValueError(f"an envelope needs 1 to {MAX_RECIPIENTS} distinct recipients")
    padded = pad(content)
    content_key = os.urandom(32)
    real = [(kid, kid + _SUITE.encrypt(content_key, pk, info=_wrap_info(school_id, record_id, kid))) for kid, pk in by_id]
    dummies = [_stanza_for_nobody() for _ in range(min(stanzas_at_least, MAX_RECIPIENTS) - len(real))]
    stanzas = b"".join(stanza for _, stanza in sorted(real + dummies))
    header = (
        MAGIC
        + bytes([VERSION, FLAG_URGENT if urgent else 0])
        + school_id.bytes
        + record_id.bytes
        + key_id(author.public_key())
        + bytes([len(stanzas) // STANZA_LEN])
        + stanzas
        + (len(padded) + TAG_LEN).to_bytes(4, "big")
    )
    ciphertext = AESGCM(content_key).encrypt(ZERO_NONCE, padded, header)
    return header + ciphertext + _sign(author, header + ciphertext), content_key


def _stanza_for_nobody() -> tuple[bytes, bytes]:
    """A random key id, a real ephemeral P-256 point and random bytes: to anyone without the keyring,
    the same as a stanza for a reader."""
    kid = os.urandom(32)
    enc = public_bytes(ec.generate_private_key(ec.SECP256R1()).public_key())
    return kid, kid + enc + os.urandom(48)


def receipt_proof(content_key: bytes, record_id: uuid.UUID) -> bytes:
    """What a reader sends to say it opened the envelope (docs/envelope.md, "Receipts"): only someone
    who holds the content key (a recipient who unwrapped it, or the author) can make it, so a server
    that relays it cannot forge one."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=RECEIPT_LABEL + record_id.bytes)
    return hkdf.derive(content_key)


def parse(data: bytes) -> Header:
    """Checks 1 to 4: structure only, no cryptography."""
    if len(data) < 4 or data[:4] != MAGIC:
        raise EnvelopeError("not_an_envelope")
    if len(data) < 5 or data[4] != VERSION:
        raise EnvelopeError("unsupported_version")
    if len(data) > MAX_ENVELOPE:
        raise EnvelopeError("too_large")
    if len(data) < FIXED_LEN:
        raise EnvelopeError("malformed", "truncated header")
    flags = data[5]
    if flags & ~FLAG_URGENT:
        raise EnvelopeError("malformed", "reserved flag bits set")
    record_id = uuid.UUID(bytes=data[22:38])
    if record_id.version != 7 or record_id.variant != uuid.RFC_4122:
        raise EnvelopeError("malformed", "record id is not a UUIDv7")
    count = data[FIXED_LEN - 1]
    if not 1 <= count <= MAX_RECIPIENTS:
        raise EnvelopeError("malformed", "recipient count out of range")
    header_len = FIXED_LEN + STANZA_LEN * count + 4
    if len(data) < header_len:
        raise EnvelopeError("malformed", "truncated header")
    stanzas = []
    for offset in range(FIXED_LEN, FIXED_LEN + STANZA_LEN * count, STANZA_LEN):
        raw = data[offset : offset + STANZA_LEN]
        stanza = Stanza(raw[:32], raw[32:97], raw[97:])
        if stanzas and stanza.recipient_key_id <= stanzas[-1].recipient_key_id:
            raise EnvelopeError("malformed", "stanzas not in ascending key id order")
        if stanza.enc[0] != 0x04:
            raise EnvelopeError("malformed", "enc is not an uncompressed point")
        stanzas.append(stanza)
    ct_len = int.from_bytes(data[header_len - 4 : header_len], "big")
    padded_len = ct_len - TAG_LEN
    if not (MIN_BUCKET <= padded_len <= MAX_BUCKET and padded_len & (padded_len - 1) == 0):
        raise EnvelopeError("malformed", "ciphertext length is not a padding bucket")
    if len(data) != header_len + ct_len + SIGNATURE_LEN:
        raise EnvelopeError("malformed", "length does not match the header")
    return Header(
        urgent=bool(flags & FLAG_URGENT),
        school_id=uuid.UUID(bytes=data[6:22]),
        record_id=record_id,
        author_key_id=data[38:70],
        stanzas=tuple(stanzas),
        raw=data[:header_len],
    )


def verify(data: bytes, author: ec.EllipticCurvePublicKey) -> Header:
    """Checks 1 to 6: what the server runs before it stores an envelope."""
    header = parse(data)
    if header.author_key_id != key_id(author):
        raise EnvelopeError("unknown_author")
    check_signature(data, author)
    return header


def check_signature(data: bytes, author: ec.EllipticCurvePublicKey) -> None:
    """Check 6 alone, for a reader that has parsed the envelope and matched its author itself (the
    server, checking a batch of one device's envelopes: parsing twice was a tenth of a push)."""
    if not signing.verify(author, SIGNATURE_LABEL, data[:-SIGNATURE_LEN], data[-SIGNATURE_LEN:]):
        raise EnvelopeError("bad_signature")


def open(  # noqa: A001 - the spec's name; shadowing the builtin inside this module is harmless
    data: bytes, *, recipient: ec.EllipticCurvePrivateKey, author: ec.EllipticCurvePublicKey
) -> Opened:
    header = verify(data, author)
    own_id = key_id(recipient.public_key())
    stanza = next((s for s in header.stanzas if s.recipient_key_id == own_id), None)
    if stanza is None:
        raise EnvelopeError("not_a_recipient")
    try:
        content_key = _SUITE.decrypt(
            stanza.enc + stanza.wrapped_key,
            recipient,
            info=_wrap_info(header.school_id, header.record_id, own_id),
        )
    except Exception as exc:  # cryptography raises InvalidTag or ValueError on a bad enc
        raise EnvelopeError("unwrap_failed") from exc
    return Opened(header=header, content=_decrypt(data, header, content_key), content_key=content_key)


def _decrypt(data: bytes, header: Header, content_key: bytes) -> bytes:
    if len(content_key) != 32:
        raise EnvelopeError("unwrap_failed", "content key is not 32 bytes")
    try:
        padded = AESGCM(content_key).decrypt(ZERO_NONCE, data[len(header.raw) : -SIGNATURE_LEN], header.raw)
    except InvalidTag as exc:
        raise EnvelopeError("decrypt_failed") from exc
    return unpad(padded)


def open_with_key(data: bytes, content_key: bytes, *, author: ec.EllipticCurvePublicKey) -> Opened:
    """Opens an envelope with its content key, given by a reader who unwrapped it (a re-seal:
    docs/envelope.md, "Opening with a content key"): every check but the unwrapping, so the author's
    signature still vouches for every byte, and a wrong key fails as decrypt_failed."""
    header = verify(data, author)
    return Opened(header=header, content=_decrypt(data, header, content_key), content_key=content_key)
