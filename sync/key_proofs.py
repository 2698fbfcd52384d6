"""A device's word that a key it registers is its own (docs/protocol.md, "Approved devices").

A roster key or a recipient key reaches the server in a request signed by its device, but the server
could say any key was any device's. So the device also signs the key itself, and a reader who trusts
the device (the trust key approved it) checks that signature, not the server's word:

    proof = ECDSA-P256-SHA256(device_sk, label || school_id (16 bytes) || public_key (65 bytes))
"""

from __future__ import annotations

import uuid

from cryptography.hazmat.primitives.asymmetric import ec

from sync import signing

ROSTER_KEY = b"lantern-roster-key-v1"
RECIPIENT_KEY = b"lantern-recipient-key-v1"


def prove(device: ec.EllipticCurvePrivateKey, label: bytes, school_id: uuid.UUID, public_key: bytes) -> bytes:
    return signing.sign(device, label, school_id.bytes + public_key)


def proven(device_public_key: bytes, label: bytes, school_id: uuid.UUID, public_key: bytes, proof: bytes) -> bool:
    try:
        device = signing.public_key_from_bytes(device_public_key)
    except ValueError:
        return False
    return signing.verify(device, label, school_id.bytes + public_key, proof)
