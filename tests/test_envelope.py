"""The Python envelope against the shared corpus, and properties the corpus cannot enumerate."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from sync import envelope as env
from sync.ids import uuid7
from tests.vectors import corpus

CASES = corpus.cases()


def private_key(scalar: bytes) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())


def test_corpus_is_present():
    assert len(CASES) >= 30
    assert {c.expect for c in CASES} >= set(env.ERROR_CODES) - {"too_large"} | {"success"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus(case: corpus.Case):
    reader = private_key(case.recipient_key)
    author = env.public_key_from_bytes(case.author_public_key)
    if case.expect == "success":
        opened = env.open(case.envelope, recipient=reader, author=author)
        assert opened.content == case.content
    else:
        with pytest.raises(env.EnvelopeError) as raised:
            env.open(case.envelope, recipient=reader, author=author)
        assert raised.value.code == case.expect


@pytest.fixture(scope="module")
def keys():
    return {name: ec.generate_private_key(ec.SECP256R1()) for name in ("dsl", "deputy", "author")}


def sealed(keys, content=b"a note", **kw) -> bytes:
    args = dict(
        school_id=uuid.uuid4(),
        record_id=uuid7(),
        recipients=[keys["dsl"].public_key(), keys["deputy"].public_key()],
        author=keys["author"],
    )
    args.update(kw)
    return env.seal(content, **args)


def test_every_single_byte_change_is_rejected(keys):
    data = sealed(keys)
    author = keys["author"].public_key()
    for i in range(len(data)):
        changed = data[:i] + bytes([data[i] ^ 0x80]) + data[i + 1 :]
        with pytest.raises(env.EnvelopeError):
            env.open(changed, recipient=keys["dsl"], author=author)


def test_header_fields_round_trip(keys):
    school, record = uuid.uuid4(), uuid7()
    data = sealed(keys, school_id=school, record_id=record, urgent=True)
    header = env.verify(data, keys["author"].public_key())
    assert (header.school_id, header.record_id, header.urgent) == (school, record, True)
    assert header.author_key_id == env.key_id(keys["author"].public_key())
    expected_ids = sorted(env.key_id(keys[n].public_key()) for n in ("dsl", "deputy"))
    assert list(header.recipient_key_ids) == expected_ids


@pytest.mark.parametrize(
    ("length", "bucket"),
    [(0, 4096), (4092, 4096), (4093, 8192), (8188, 8192), (100_000, 131072), ((1 << 20) - 4, 1 << 20)],
)
def test_padding_buckets(length, bucket):
    assert env.bucket(length) == bucket
    assert len(env.pad(bytes(length))) == bucket


def test_size_hides_length_within_a_bucket(keys):
    assert len(sealed(keys, b"x")) == len(sealed(keys, b"x" * 4000))


def test_largest_content_seals_and_larger_does_not(keys):
    biggest = bytes((1 << 20) - 4)
    data = sealed(keys, biggest)
    assert len(data) <= env.MAX_ENVELOPE
    assert env.open(data, recipient=keys["dsl"], author=keys["author"].public_key()).content == biggest
    with pytest.raises(ValueError):
        sealed(keys, biggest + b"x")


def test_oversized_input_is_refused_before_parsing(keys):
    data = env.MAGIC + bytes([env.VERSION]) + bytes(env.MAX_ENVELOPE)
    with pytest.raises(env.EnvelopeError) as raised:
        env.parse(data)
    assert raised.value.code == "too_large"


@pytest.mark.parametrize("count", [0, env.MAX_RECIPIENTS + 1])
def test_seal_refuses_bad_recipient_counts(keys, count):
    recipients = [ec.generate_private_key(ec.SECP256R1()).public_key() for _ in range(count)]
    with pytest.raises(ValueError):
        sealed(keys, recipients=recipients)


def test_seal_refuses_duplicate_recipients(keys):
    with pytest.raises(ValueError):
        sealed(keys, recipients=[keys["dsl"].public_key()] * 2)


def test_seal_refuses_non_v7_record_id(keys):
    with pytest.raises(ValueError):
        sealed(keys, record_id=uuid.uuid4())


def test_content_keys_are_fresh(keys):
    # Same content, same ids: a fresh content key and fresh HPKE ephemerals make every byte after
    # the fixed fields differ, so two seals never share a (key, nonce) pair.
    a, b = sealed(keys, record_id=uuid.UUID(int=0x0190A5B23C4D7E5F8A6B7C8D9E0F1A2B)), sealed(
        keys, record_id=uuid.UUID(int=0x0190A5B23C4D7E5F8A6B7C8D9E0F1A2B)
    )
    ha, hb = env.parse(a), env.parse(b)
    assert all(x.enc != y.enc and x.wrapped_key != y.wrapped_key for x, y in zip(ha.stanzas, hb.stanzas))
    assert a[len(ha.raw) : -64] != b[len(hb.raw) : -64]


def test_a_reader_can_hand_on_the_content_key_and_the_author_still_vouches_for_the_bytes():
    """open_with_key: what a re-seal carries (docs/env.md, "Opening with a content key")."""
    author, reader = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    data = env.seal(b"the words", school_id=uuid.uuid4(), record_id=uuid7(), recipients=[reader.public_key()], author=author)
    header = env.parse(data)
    stanza = header.stanzas[0]
    content_key = env._SUITE.decrypt(stanza.enc + stanza.wrapped_key, reader,
                                          info=env._wrap_info(header.school_id, header.record_id, stanza.recipient_key_id))
    assert env.open_with_key(data, content_key, author=author.public_key()).content == b"the words"
    with pytest.raises(env.EnvelopeError) as wrong:
        env.open_with_key(data, bytes(32), author=author.public_key())
    assert wrong.value.code == "decrypt_failed"
    with pytest.raises(env.EnvelopeError) as forged:
        env.open_with_key(data[:-1] + bytes([data[-1] ^ 1]), content_key, author=author.public_key())
    assert forged.value.code == "bad_signature"


RECEIPT = json.loads((Path(__file__).parent / "vectors" / "receipt.json").read_text())


def rfc5869(ikm: bytes, info: bytes) -> bytes:
    """HKDF-SHA256 with an empty salt and 32 bytes out, written from RFC 5869 itself, so that the
    vector checks the spec's formula and not only that the code agrees with itself."""
    prk = hmac.new(bytes(32), ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def test_receipt_proof_matches_its_vector_and_the_rfc():
    key, record_id = bytes.fromhex(RECEIPT["content_key"]), uuid.UUID(RECEIPT["record_id"])
    proof = env.receipt_proof(key, record_id)
    assert proof.hex() == RECEIPT["proof"]
    assert proof == rfc5869(key, b"lantern-envelope-v1/receipt" + record_id.bytes)
    # Bound to the record and the key: another of either gives another proof.
    assert env.receipt_proof(key, uuid7()) != proof
    assert env.receipt_proof(bytes(32), record_id) != proof


def test_a_reader_makes_the_proof_its_author_expects():
    author, reader = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    record_id = uuid7()
    data, key = env.seal_keeping_key(
        b"note", school_id=uuid7(), record_id=record_id, recipients=[reader.public_key()], author=author,
    )
    opened = env.open(data, recipient=reader, author=author.public_key())
    assert opened.content_key == key
    assert env.receipt_proof(opened.content_key, record_id) == env.receipt_proof(key, record_id)


def test_stanzas_for_nobody_pad_an_envelope_and_every_reader_still_opens_it():
    author, reader = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    data, _ = env.seal_keeping_key(b"an allegation", school_id=uuid7(), record_id=uuid7(),
                                   recipients=[reader.public_key()], author=author, stanzas_at_least=5)
    header = env.parse(data)
    assert len(header.recipient_key_ids) == 5 and list(header.recipient_key_ids) == sorted(header.recipient_key_ids)
    assert env.key_id(reader.public_key()) in header.recipient_key_ids
    assert env.open(data, recipient=reader, author=author.public_key()).content == b"an allegation"
    plain = env.seal(b"an allegation", school_id=uuid7(), record_id=uuid7(), recipients=[reader.public_key()],
                     author=author)
    assert len(data) == len(plain) + 4 * env.STANZA_LEN  # the size of an envelope to five readers
    # Never more than an envelope holds, and never fewer stanzas than its readers.
    many = [ec.generate_private_key(ec.SECP256R1()).public_key() for _ in range(3)]
    assert len(env.parse(env.seal(b"x", school_id=uuid7(), record_id=uuid7(), recipients=many, author=author,
                                  stanzas_at_least=2)).recipient_key_ids) == 3
    assert len(env.parse(env.seal(b"x", school_id=uuid7(), record_id=uuid7(), recipients=many, author=author,
                                  stanzas_at_least=99)).recipient_key_ids) == env.MAX_RECIPIENTS
