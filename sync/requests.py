"""Signed requests: every request after enrolment carries its device's signature (docs/protocol.md)."""

from __future__ import annotations

import base64
import hashlib
import os
import time

from cryptography.hazmat.primitives.asymmetric import ec

from sync import signing

REQUEST_LABEL = b"lantern-request-v1"
ENROL_LABEL = b"lantern-enrol-v1"
MAX_SKEW_SECONDS = 300

DEVICE = "Lantern-Device"
DATE = "Lantern-Date"
NONCE = "Lantern-Nonce"
SIGNATURE = "Lantern-Signature"


def request_message(method: str, path_and_query: str, date: str, nonce: str, body: bytes) -> bytes:
    return "\n".join(
        ["", method.upper(), path_and_query, date, nonce, hashlib.sha256(body).hexdigest()]
    ).encode()


def sign_request(
    device: ec.EllipticCurvePrivateKey, method: str, path_and_query: str, body: bytes, *, now: float | None = None
) -> dict[str, str]:
    date = str(int(time.time() if now is None else now))
    nonce = os.urandom(16).hex()
    message = request_message(method, path_and_query, date, nonce, body)
    return {
        DEVICE: signing.key_id(device.public_key()).hex(),
        DATE: date,
        NONCE: nonce,
        SIGNATURE: base64.b64encode(signing.sign(device, REQUEST_LABEL, message)).decode(),
    }


def enrol_proof(device: ec.EllipticCurvePrivateKey, token: bytes) -> bytes:
    return signing.sign(device, ENROL_LABEL, token + signing.public_bytes(device.public_key()))


def enrol_proof_valid(device_public_key: bytes, token: bytes, proof: bytes) -> bool:
    key = signing.public_key_from_bytes(device_public_key)
    return signing.verify(key, ENROL_LABEL, token + device_public_key, proof)
