"""The trust key's backup file, as the DSL's app writes it (docs/trust-key.md, "The backup file").

Modelled on age's passphrase files: a header that names the format, the KDF and its parameters, then
the key sealed with AEAD. The KDF is PBKDF2-HMAC-SHA256 because it is the one password KDF that
WebCrypto offers in every engine (scrypt and Argon2 are not there), so the app makes and opens the
file with no cryptography written by hand; 600,000 iterations is OWASP's figure for it (2023). The
sealed key is PKCS#8 DER, which WebCrypto and `cryptography` both read, so `lantern trust sign` can
sign with a key the app made, and the app can take a key `lantern trust init` made.
"""

from __future__ import annotations

import os
from typing import Annotated, Literal

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from sync.signing import public_bytes

FORMAT = "lantern-trust-key-backup-v1"
ITERATIONS = 600_000
MAX_ITERATIONS = 10_000_000  # a file is its owner's, but an absurd count would hang the reader


class Backup(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    lantern: Literal["lantern-trust-key-backup-v1"]
    public_key: Annotated[bytes, msgspec.Meta(min_length=65, max_length=65)]
    kdf: Literal["PBKDF2-HMAC-SHA256"]
    iterations: Annotated[int, msgspec.Meta(ge=ITERATIONS, le=MAX_ITERATIONS)]
    salt: Annotated[bytes, msgspec.Meta(min_length=16, max_length=16)]
    iv: Annotated[bytes, msgspec.Meta(min_length=12, max_length=12)]
    sealed: Annotated[bytes, msgspec.Meta(min_length=17, max_length=1024)]
    made_at: str = ""  # for the person reading the file; not used


class BackupError(ValueError):
    pass


def _aad(public_key: bytes) -> bytes:
    # The public half is bound in, so a file cannot pair one school's fingerprint with another key.
    return FORMAT.encode() + b"\x00" + public_key


def _key(passphrase: bytes, salt: bytes, iterations: int) -> bytes:
    return PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations).derive(passphrase)


def write(key: ec.EllipticCurvePrivateKey, passphrase: bytes, made_at: str = "") -> bytes:
    salt, iv = os.urandom(16), os.urandom(12)
    public_key = public_bytes(key.public_key())
    pkcs8 = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    sealed = AESGCM(_key(passphrase, salt, ITERATIONS)).encrypt(iv, pkcs8, _aad(public_key))
    backup = Backup(FORMAT, public_key, "PBKDF2-HMAC-SHA256", ITERATIONS, salt, iv, sealed, made_at)
    return msgspec.json.format(msgspec.json.encode(backup), indent=2) + b"\n"


def read(data: bytes, passphrase: bytes) -> ec.EllipticCurvePrivateKey:
    """The private key; BackupError when the file is not a backup, the passphrase is wrong or the
    key inside is not the public key's."""
    try:
        backup = msgspec.json.decode(data, type=Backup)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise BackupError(f"not a Lantern trust key backup ({exc})") from None
    try:
        pkcs8 = AESGCM(_key(passphrase, backup.salt, backup.iterations)).decrypt(
            backup.iv, backup.sealed, _aad(backup.public_key)
        )
    except InvalidTag:
        raise BackupError("wrong passphrase, or the file was changed") from None
    key = serialization.load_der_private_key(pkcs8, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or public_bytes(key.public_key()) != backup.public_key:
        raise BackupError("the key inside is not the one the file names")
    return key
