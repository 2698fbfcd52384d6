"""One-time enrolment codes: a secret the server checks and the trust key's fingerprint the device pins.

code = base32(secret(10) || SHA-256(trust public key)[0:10]), shown as eight groups of four.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

SECRET_LEN = 10
FINGERPRINT_LEN = 10


@dataclass(frozen=True)
class Code:
    secret: bytes
    fingerprint: bytes

    def text(self) -> str:
        raw = base64.b32encode(self.secret + self.fingerprint).decode()
        return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))

    def secret_text(self) -> str:
        return encode_secret(self.secret)

    def link(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/#enrol={self.text()}"


def fingerprint(trust_public_key: bytes) -> bytes:
    return hashlib.sha256(trust_public_key).digest()[:FINGERPRINT_LEN]


def new_code(trust_public_key: bytes) -> Code:
    return Code(os.urandom(SECRET_LEN), fingerprint(trust_public_key))


def _b32decode(text: str, length: int) -> bytes:
    cleaned = "".join(text.split()).replace("-", "").upper()
    if len(cleaned) != length * 8 // 5:
        raise ValueError("wrong length")
    try:
        return base64.b32decode(cleaned)
    except ValueError:
        raise ValueError("not base32") from None


def parse_code(text: str) -> Code:
    """Reads a code as a person might type it: any case, with or without spaces and dashes."""
    raw = _b32decode(text, SECRET_LEN + FINGERPRINT_LEN)
    return Code(raw[:SECRET_LEN], raw[SECRET_LEN:])


def encode_secret(secret: bytes) -> str:
    return base64.b32encode(secret).decode()


def decode_secret(text: str) -> bytes:
    return _b32decode(text, SECRET_LEN)


def secret_hash(secret: bytes) -> str:
    """What the server keeps: a stolen database must not hold usable codes."""
    return hashlib.sha256(b"lantern-enrolment-code-v1" + secret).hexdigest()
