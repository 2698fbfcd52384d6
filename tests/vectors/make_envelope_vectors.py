"""Regenerates tests/vectors/envelope/, the corpus every envelope implementation runs.

Run: python tests/vectors/make_envelope_vectors.py

Keys are derived from fixed labels so that the files name the same keys after every run; HPKE
ephemerals and ECDSA nonces are random, so the envelope bytes change (which is harmless: the corpus
states what must happen, not what the bytes are).
"""

from __future__ import annotations

import base64
import hashlib
import textwrap
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from sync import envelope as env

OUT = Path(__file__).parent / "envelope"
SCHOOL = uuid.UUID("0190a000-0000-7000-8000-00000000c0de")
OTHER_SCHOOL = uuid.UUID("0190a000-0000-7000-8000-0000000bad00")
RECORD = uuid.UUID("0190a5b2-3c4d-7e5f-8a6b-7c8d9e0f1a2b")
OTHER_RECORD = uuid.UUID("0190a5b2-3c4d-7e5f-8a6b-7c8d9e0f1a2c")
CONTENT = (
    '{"v":1,"type":"concern","child":"Test Child","words":"He said \\"don\'t tell\\"",'
    '"note":"corpus vector"}'
).encode()


def key(label: str) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(hashlib.sha256(b"lantern test vector " + label.encode()).digest(), "big")
    return ec.derive_private_key(scalar % (env.P256_ORDER - 1) + 1, ec.SECP256R1())


DSL, DEPUTY, HEAD, AUTHOR, OTHER_AUTHOR = (key(n) for n in ("dsl", "deputy", "head", "author", "other-author"))
TEAM = [DSL.public_key(), DEPUTY.public_key()]


def scalar_hex(k: ec.EllipticCurvePrivateKey) -> str:
    return k.private_numbers().private_value.to_bytes(32, "big").hex()


def seal(content: bytes = CONTENT, **kw) -> bytes:
    args = dict(school_id=SCHOOL, record_id=RECORD, recipients=TEAM, author=AUTHOR, urgent=False)
    args.update(kw)
    return env.seal(content, **args)


def resign(data: bytes, author: ec.EllipticCurvePrivateKey = AUTHOR) -> bytes:
    """What a malicious enrolled device could do: sign bytes it put together itself."""
    body = data[: -env.SIGNATURE_LEN]
    return body + env._sign(author, body)


def flip(data: bytes, index: int, mask: int = 0x01) -> bytes:
    return data[:index] + bytes([data[index] ^ mask]) + data[index + 1 :]


def splice(data: bytes, index: int, new: bytes) -> bytes:
    return data[:index] + new + data[index + len(new) :]


def stanza_offset(data: bytes, recipient: ec.EllipticCurvePrivateKey) -> int:
    header = env.parse(data)
    i = header.recipient_key_ids.index(env.key_id(recipient.public_key()))
    return env.FIXED_LEN + i * env.STANZA_LEN


def seal_padded(padded: bytes) -> bytes:
    """An envelope around padding the sealer chose, to show that openers check it."""
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    content_key = os.urandom(32)
    kid = env.key_id(DSL.public_key())
    stanza = kid + env._SUITE.encrypt(content_key, DSL.public_key(), info=env._wrap_info(SCHOOL, RECORD, kid))
    header = (
        env.MAGIC + bytes([1, 0]) + SCHOOL.bytes + RECORD.bytes + env.key_id(AUTHOR.public_key())
        + bytes([1]) + stanza + (len(padded) + 16).to_bytes(4, "big")
    )
    ct = AESGCM(content_key).encrypt(env.ZERO_NONCE, padded, header)
    return header + ct + env._sign(AUTHOR, header + ct)


def cases():
    base = seal()
    dsl_stanza = stanza_offset(base, DSL)
    header_len = len(env.parse(base).raw)
    ct_start = header_len
    sig_start = len(base) - 64

    yield "valid_team", "success", "sealed to DSL and deputy, opened by the DSL", base, DSL, CONTENT
    yield "valid_deputy", "success", "the same envelope opened by the deputy", base, DEPUTY, CONTENT
    yield "valid_urgent", "success", "urgent flag set", seal(urgent=True), DSL, CONTENT
    yield "valid_empty", "success", "empty content still fills the 4096-byte bucket", seal(b""), DSL, b""
    big = bytes(range(256)) * 20  # 5120 bytes: the 8192 bucket
    yield "valid_bucket_8192", "success", "content past 4092 bytes moves to the next bucket", seal(big), DSL, big
    trailing_zeros = b"ends in zeros\x00\x00\x00"
    yield "valid_trailing_zeros", "success", "content ending in zero bytes survives unpadding", seal(trailing_zeros), DSL, trailing_zeros
    single = seal(recipients=[HEAD.public_key()])
    yield "valid_single_recipient", "success", "an allegation sealed to the headteacher alone", single, HEAD, CONTENT

    yield "wrong_recipient", "not_a_recipient", "the headteacher is not a recipient of a team note", base, HEAD, None
    yield "allegation_not_for_dsl", "not_a_recipient", "the DSL cannot open a note sealed to the headteacher alone", single, DSL, None
    yield "unknown_version", "unsupported_version", "version byte 2", splice(base, 4, b"\x02"), DSL, None
    yield "version_zero", "unsupported_version", "version byte 0", splice(base, 4, b"\x00"), DSL, None
    yield "bad_magic", "not_an_envelope", "first byte changed", flip(base, 0), DSL, None
    yield "empty_input", "not_an_envelope", "zero bytes", b"", DSL, None
    yield "reserved_flag", "malformed", "a reserved flag bit set", splice(base, 5, b"\x02"), DSL, None
    yield "zero_recipients", "malformed", "recipient count 0", splice(base, env.FIXED_LEN - 1, b"\x00"), DSL, None
    yield "too_many_recipients", "malformed", "recipient count 17", splice(base, env.FIXED_LEN - 1, b"\x11"), DSL, None
    yield "truncated", "malformed", "last byte of the signature missing", base[:-1], DSL, None
    yield "trailing_byte", "malformed", "one byte after the signature", base + b"\x00", DSL, None
    yield "header_only", "malformed", "cut after the header", base[:header_len], DSL, None
    yield "bad_ciphertext_length", "malformed", "ciphertext length not a bucket", flip(base, header_len - 1), DSL, None
    not_v7 = splice(base, 22 + 6, bytes([(base[22 + 6] & 0x0F) | 0x40]))
    yield "record_id_not_v7", "malformed", "record id is a UUIDv4", not_v7, DSL, None
    yield "header_cut_in_fixed_fields", "malformed", "cut inside the first 71 bytes", base[:40], DSL, None
    first, second = env.FIXED_LEN, env.FIXED_LEN + env.STANZA_LEN
    swapped = base[:first] + base[second : second + env.STANZA_LEN] + base[first:second] + base[second + env.STANZA_LEN :]
    yield "stanzas_out_of_order", "malformed", "the two stanzas swapped", swapped, DSL, None
    duplicated = base[:second] + base[first:second] + base[second + env.STANZA_LEN :]
    yield "stanza_duplicated", "malformed", "the first stanza twice", duplicated, DSL, None
    yield "enc_compressed", "malformed", "an enc that is not an uncompressed point", splice(base, dsl_stanza + 32, b"\x02"), DSL, None
    for size in (2048, 1 << 21):
        bad_len = splice(base, header_len - 4, (size + 16).to_bytes(4, "big"))
        yield f"ciphertext_length_{size}", "malformed", f"a power of two outside the buckets: {size} + 16", bad_len, DSL, None
    yield "author_key_id_changed", "unknown_author", "one byte of the author key id", flip(base, 38), DSL, None
    yield "wrong_author_key", "unknown_author", "opened with another device's public key", base, DSL, None, OTHER_AUTHOR

    tampered = {
        "school_id": 6, "record_id": 37, "stanza_enc": dsl_stanza + 40,
        "stanza_wrapped_key": dsl_stanza + 100, "ciphertext_first": ct_start,
        "ciphertext_last": sig_start - 1, "signature_r": sig_start, "signature_s": sig_start + 63,
    }
    for name, index in tampered.items():
        yield f"flip_{name}", "bad_signature", f"one bit flipped at byte {index}", flip(base, index), DSL, None
    yield "signed_by_other_device", "bad_signature", "re-signed by another device", resign(base, OTHER_AUTHOR), DSL, None
    yield "signature_s_zero", "bad_signature", "s = 0", base[:-32] + bytes(32), DSL, None
    yield "signature_r_order", "bad_signature", "r = n", splice(base, sig_start, env.P256_ORDER.to_bytes(32, "big")), DSL, None

    # Each binding on its own: re-signed by the author, so the signature is no longer what stops them.
    other_record = seal(record_id=OTHER_RECORD)
    moved = splice(base, dsl_stanza, other_record[dsl_stanza : dsl_stanza + env.STANZA_LEN])
    yield "stanza_from_other_record", "unwrap_failed", "the DSL's stanza from another record, re-signed", resign(moved), DSL, None
    other_school = seal(school_id=OTHER_SCHOOL)
    moved = splice(base, dsl_stanza, other_school[dsl_stanza : dsl_stanza + env.STANZA_LEN])
    yield "stanza_from_other_school", "unwrap_failed", "the DSL's stanza from another school's envelope, re-signed", resign(moved), DSL, None
    # Sealed to the head alone, then relabelled as the DSL's: HPKE info binds the recipient key id.
    relabelled = splice(single, env.FIXED_LEN, env.key_id(DSL.public_key()))
    yield "stanza_relabelled", "unwrap_failed", "the headteacher's stanza relabelled with the DSL's key id, re-signed", resign(relabelled), DSL, None
    other_ct = other_record[ct_start:sig_start]
    yield "ciphertext_from_other_record", "decrypt_failed", "ciphertext of another record under this header, re-signed", resign(base[:ct_start] + other_ct + base[sig_start:]), DSL, None
    yield "urgent_flag_added", "decrypt_failed", "urgent flag set after sealing, re-signed", resign(splice(base, 5, b"\x01")), DSL, None

    bucket = env.MIN_BUCKET
    yield "padding_not_zero", "bad_padding", "a non-zero padding byte", seal_padded(b"\x00\x00\x00\x02ok" + bytes(bucket - 7) + b"\x01"), DSL, None
    yield "length_past_bucket", "bad_padding", "length prefix larger than the bucket", seal_padded((bucket).to_bytes(4, "big") + bytes(bucket - 4)), DSL, None


def write(name, expect, comment, data, reader, content, author=AUTHOR):
    lines = [
        f"expect: {expect}",
        f"comment: {comment}",
        f"recipient-key: {scalar_hex(reader)}",
        f"author-public-key: {env.public_bytes(author.public_key()).hex()}",
    ]
    if content is not None:
        lines.append(f"content: {content.hex()}")
    body = "\n".join(textwrap.wrap(base64.b64encode(data).decode(), 76))
    (OUT / f"{name}.txt").write_text("\n".join(lines) + "\n\n" + body + "\n")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.txt"):
        old.unlink()
    for case in cases():
        write(*case)


if __name__ == "__main__":
    main()
