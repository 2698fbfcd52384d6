"""ECDSA P-256 / SHA-256 with 64-byte r || s signatures, as WebCrypto makes them.

Every Lantern signature (envelopes, keyrings, requests, enrolment proofs) goes through here, each
under its own label, so that no signature made for one purpose can be replayed as another.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
SIGNATURE_LEN = 64


def public_bytes(key: ec.EllipticCurvePublicKey) -> bytes:
    """SEC1 uncompressed, 65 bytes: the one public-key encoding Lantern uses."""
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def public_key_from_bytes(raw: bytes) -> ec.EllipticCurvePublicKey:
    """Raises ValueError for anything but a valid P-256 point."""
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)


def key_id(key: ec.EllipticCurvePublicKey | bytes) -> bytes:
    raw = key if isinstance(key, bytes) else public_bytes(key)
    return hashlib.sha256(raw).digest()


def sign(private_key: ec.EllipticCurvePrivateKey, label: bytes, message: bytes) -> bytes:
    r, s = decode_dss_signature(private_key.sign(label + message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify(public_key: ec.EllipticCurvePublicKey, label: bytes, message: bytes, signature: bytes) -> bool:
    if len(signature) != SIGNATURE_LEN:
        return False
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if not (0 < r < P256_ORDER and 0 < s < P256_ORDER):
        return False
    try:
        public_key.verify(encode_dss_signature(r, s), label + message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
