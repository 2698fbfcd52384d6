"""One-time enrolment codes: a secret, the trust key's fingerprint the device pins, and the keyring
version the code was issued under, below which the device takes no keyring (docs/protocol.md,
"Enrolment").

code = base32(secret(10) || SHA-256(trust public key)[0:10] || u32(keyring version) || crc8), shown as
ten groups of four. A code from before the version (eight groups, no version or check) still reads.

The secret itself never reaches the server. The device sends a token made from it, which the server
checks, and an approval made from it and the device's key, which the server cannot make: so the trust
key holder's app, when it issued the code and so knows the secret, can tell the device its code set up
from one the server enrolled for itself (docs/protocol.md, "Codes from the trust key holder's app").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

SECRET_LEN = 10
FINGERPRINT_LEN = 10
VERSION_LEN = 4
CODE_LEN = SECRET_LEN + FINGERPRINT_LEN + VERSION_LEN + 1
OLD_CODE_LEN = SECRET_LEN + FINGERPRINT_LEN
TOKEN_LABEL = b"lantern-enrol-token-v1"
APPROVAL_LABEL = b"lantern-enrol-approval-v1"


def crc8(data: bytes) -> int:
    """CRC-8 (polynomial 0x07): a typed code's last byte, so that a mistyped character (a burst of at
    most 5 bits) is caught on the device, before anything is sent."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


@dataclass(frozen=True)
class Code:
    secret: bytes
    fingerprint: bytes
    min_keyring_version: int = 0  # 0 in a code from before it: any version

    def text(self) -> str:
        body = self.secret + self.fingerprint + self.min_keyring_version.to_bytes(VERSION_LEN, "big")
        raw = base64.b32encode(body + bytes([crc8(body)])).decode()
        return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))

    def token(self) -> bytes:
        return token(self.secret)

    def token_text(self) -> str:
        return encode_token(self.token())

    def link(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/#enrol={self.text()}"


def fingerprint(trust_public_key: bytes) -> bytes:
    return hashlib.sha256(trust_public_key).digest()[:FINGERPRINT_LEN]


def new_code(trust_public_key: bytes, min_keyring_version: int) -> Code:
    return Code(os.urandom(SECRET_LEN), fingerprint(trust_public_key), min_keyring_version)


def _b32decode(text: str, *lengths: int) -> bytes:
    cleaned = "".join(text.split()).replace("-", "").upper()
    if len(cleaned) not in [n * 8 // 5 for n in lengths]:
        raise ValueError("wrong length")
    try:
        return base64.b32decode(cleaned)
    except ValueError:
        raise ValueError("not base32") from None


def parse_code(text: str) -> Code:
    """Reads a code as a person might type it: any case, with or without spaces and dashes. Raises
    ValueError for anything else, a mistyped character included."""
    raw = _b32decode(text, CODE_LEN, OLD_CODE_LEN)
    secret, fp = raw[:SECRET_LEN], raw[SECRET_LEN:OLD_CODE_LEN]
    if len(raw) == OLD_CODE_LEN:
        return Code(secret, fp)
    if crc8(raw[:-1]) != raw[-1]:
        raise ValueError("mistyped: the check does not match")
    return Code(secret, fp, int.from_bytes(raw[OLD_CODE_LEN:-1], "big"))


def token(secret: bytes) -> bytes:
    """What the server checks: HMAC-SHA-256(secret, label), cut to the secret's length. One way, so
    that the server, which sees it, cannot make the code's approvals."""
    return hmac.digest(secret, TOKEN_LABEL, "sha256")[:SECRET_LEN]


def approval(secret: bytes, device_public_key: bytes) -> bytes:
    """The device's word, to whoever issued its code, that it was this code that set it up."""
    return hmac.digest(secret, APPROVAL_LABEL + device_public_key, "sha256")


def encode_token(token_bytes: bytes) -> str:
    return base64.b32encode(token_bytes).decode()


def decode_token(text: str) -> bytes:
    return _b32decode(text, SECRET_LEN)


def token_hash(token_bytes: bytes) -> str:
    """What the server keeps: a stolen database must not hold usable codes."""
    return hashlib.sha256(b"lantern-enrolment-code-v1" + token_bytes).hexdigest()
