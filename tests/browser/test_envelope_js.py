"""pwa/common/{bytes,hpke,envelope}.js in real headless Chromium: RFC 9180 known answers, the shared
envelope corpus, and envelopes crossing between the browser and sync/envelope.py both ways."""

import base64
import hashlib
import json
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from sync import envelope
from sync.ids import uuid7
from tests.vectors import corpus

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
HPKE_VECTORS = json.loads((VECTORS / "hpke-base-p256-sha256-aes256gcm.json").read_text())
CORPUS = corpus.cases()
SCHOOL = "0190a0a0-0000-7000-8000-000000000001"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def scalar(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_numbers().private_value.to_bytes(32, "big").hex()


def public_hex(key: ec.EllipticCurvePrivateKey) -> str:
    return envelope.public_bytes(key.public_key()).hex()


def js_open(page, sealed: bytes, recipient: ec.EllipticCurvePrivateKey, author_public: bytes) -> dict:
    return page.evaluate(
        "([e, d, pub, author]) => lantern.openEnvelope(e, d, pub, author)",
        [b64(sealed), scalar(recipient), public_hex(recipient), author_public.hex()],
    )


def js_seal(page, content: bytes, recipients, *, urgent: bool, record_id: str) -> bytes:
    """Seal in the browser with the harness's current device key."""
    sealed = page.evaluate(
        "(args) => lantern.sealWithDevice(args)",
        {
            "contentHex": content.hex(),
            "schoolId": SCHOOL,
            "recordId": record_id,
            "recipientsHex": [public_hex(k) for k in recipients],
            "urgent": urgent,
        },
    )
    return base64.b64decode(sealed)


def new_keys(n: int) -> list[ec.EllipticCurvePrivateKey]:
    return [ec.generate_private_key(ec.SECP256R1()) for _ in range(n)]


# --- (a) RFC 9180 known answers


@pytest.mark.parametrize("vector", HPKE_VECTORS, ids=lambda v: f"mode{v['mode']}-kem{v['kem_id']}")
def test_hpke_known_answers(page, vector):
    result = page.evaluate("(v) => lantern.hpkeKnownAnswer(v)", vector)
    encryptions = vector["encryptions"]
    assert result["singleEnc"] == vector["enc"]
    assert result["singleCt"] == encryptions[0]["ct"]
    assert result["enc"] == vector["enc"]
    assert result["cts"] == [e["ct"] for e in encryptions]
    assert result["pts"] == [e["pt"] for e in encryptions]
    assert result["openBase"] == encryptions[0]["pt"]


def test_hpke_open_rejects_tampering(page):
    v = HPKE_VECTORS[0]
    first = v["encryptions"][0]
    outcomes = page.evaluate(
        """async ([v, e]) => {
            const { fromHex } = lantern.bytes;
            const skR = await lantern.importRecipient(v.skRm, v.pkRm);
            const attempt = (aad, ct) => lantern.hpke
                .openBase(skR, fromHex(v.pkRm), fromHex(v.enc), fromHex(v.info), aad, ct)
                .then(() => "opened", (err) => err.name);
            const ct = fromHex(e.ct);
            ct[0] ^= 1;
            return [
                await attempt(fromHex(e.aad), fromHex(e.ct)),
                await attempt(new Uint8Array(0), fromHex(e.ct)),
                await attempt(fromHex(e.aad), ct),
            ];
        }""",
        [v, first],
    )
    assert outcomes == ["opened", "OperationError", "OperationError"]


# --- JavaScript alone


def test_bytes_helpers(page):
    data = bytes(range(256)) * 3 + b"\x00"
    result = page.evaluate(
        """(b64) => {
            const b = lantern.bytes;
            const raw = b.fromBase64(b64);
            const bad = (s) => { try { b.fromBase64(s); return false; } catch (e) { return true; } };
            const id = b.uuidv7();
            return {
                hex: b.toHex(raw), b64: b.toBase64(raw), unpadded: bad("QQ"), spaced: bad("QU I="),
                misplaced: [bad("QQ==QUI="), bad("Q==="), bad("=QUI")],
                ints: [b.u8(0xfe), b.u16(0x1234), b.u32(0xdeadbeef)].map(b.toHex),
                read: b.readU32(b.u32(0xdeadbeef), 0),
                uuid: b.uuidFromBytes(b.uuidToBytes("0190A0A0-0000-7000-8000-00000000000F")),
                v7: id, v7Time: parseInt(id.replace(/-/g, "").slice(0, 12), 16), now: Date.now(),
            };
        }""",
        b64(data),
    )
    assert result["hex"] == data.hex()
    assert result["b64"] == b64(data)
    assert result["unpadded"] and result["spaced"]
    assert result["misplaced"] == [True, True, True]
    assert result["ints"] == ["fe", "1234", "deadbeef"]
    assert result["read"] == 0xDEADBEEF
    assert result["uuid"] == "0190a0a0-0000-7000-8000-00000000000f"
    v7 = uuid.UUID(result["v7"])
    assert v7.version == 7 and v7.variant == uuid.RFC_4122
    assert 0 <= result["now"] - result["v7Time"] < 5_000


def test_padding_buckets(page):
    sizes = [0, 4092, 4093, 8188, 8189, 2**20 - 4]
    buckets = page.evaluate("(ns) => ns.map((n) => lantern.envelope.bucket(n))", sizes)
    assert buckets == [envelope.bucket(n) for n in sizes] == [4096, 4096, 8192, 8192, 16384, 2**20]
    too_long = "() => { try { lantern.envelope.bucket(2 ** 20 - 3); } catch (e) { return e.name; } }"
    assert page.evaluate(too_long) == "RangeError"


def test_js_round_trip_and_failures(page):
    """Sealed and opened in the browser alone; Python only makes the recipients' keys."""
    team = new_keys(3)
    outsider = new_keys(1)[0]
    author_public = bytes.fromhex(page.evaluate("() => lantern.newDevice()"))
    record_id = str(uuid7())
    content = "Said \"don't tell\" at lunch. ✓".encode()
    sealed = js_seal(page, content, team, urgent=True, record_id=record_id)

    assert len(sealed) == 71 + 145 * 3 + 4 + 4096 + 16 + 64
    for member in team:
        opened = js_open(page, sealed, member, author_public)
        assert bytes.fromhex(opened["content"]) == content
        header = opened["header"]
        assert header["urgent"] is True
        assert header["schoolId"] == SCHOOL
        assert header["recordId"] == record_id
        assert header["authorKeyId"] == hashlib.sha256(author_public).hexdigest()
        assert header["recipientKeyIds"] == sorted(
            hashlib.sha256(bytes.fromhex(public_hex(k))).hexdigest() for k in team
        )

    assert js_open(page, sealed, outsider, author_public) == {"error": "not_a_recipient"}
    assert js_open(page, sealed, team[0], bytes.fromhex(public_hex(outsider))) == {"error": "unknown_author"}
    tampered = bytearray(sealed)
    tampered[-100] ^= 1  # inside the ciphertext
    assert js_open(page, bytes(tampered), team[0], author_public) == {"error": "bad_signature"}


def test_js_too_large_and_max_content(page):
    """The corpus has no too_large case, and a maximal envelope is best made where it is opened."""
    result = page.evaluate(
        """async () => {
            const { envelope, bytes } = lantern;
            const ecdh = { name: "ECDH", namedCurve: "P-256" };
            const pair = await crypto.subtle.generateKey(ecdh, false, ["deriveBits"]);
            const pkR = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
            const ecdsa = { name: "ECDSA", namedCurve: "P-256" };
            const author = await crypto.subtle.generateKey(ecdsa, false, ["sign"]);
            const authorRaw = new Uint8Array(await crypto.subtle.exportKey("raw", author.publicKey));
            const content = new Uint8Array(envelope.MAX_CONTENT_LENGTH).fill(7);
            const sealed = await envelope.seal({
                content, schoolId: "0190a0a0-0000-7000-8000-000000000001", recordId: bytes.uuidv7(),
                recipients: [pkR], authorPrivateKey: author.privateKey, authorPublicKeyRaw: authorRaw,
            });
            const opened = await envelope.open(sealed, {
                recipientPrivateKey: pair.privateKey, recipientPublicKeyRaw: pkR,
                authorPublicKeyRaw: authorRaw,
            });
            const code = (data) => {
                try { envelope.parse(data); return "parsed"; } catch (e) { return e.code; }
            };
            const huge = new Uint8Array(1051052);
            huge.set(sealed.subarray(0, 5));
            return {
                length: sealed.length, same: bytes.equal(opened.content, content),
                largest: code(bytes.concat(sealed, new Uint8Array(1051051 - sealed.length))),
                tooLarge: code(huge),
            };
        }"""
    )
    assert result == {
        "length": 71 + 145 + 4 + 2**20 + 16 + 64,
        "same": True,
        "largest": "malformed",
        "tooLarge": "too_large",
    }


# --- (b) the shared corpus


def test_corpus_present():
    assert len(CORPUS) >= 30, "tests/vectors/envelope/ is missing or incomplete"


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_corpus(page, case):
    recipient = ec.derive_private_key(int.from_bytes(case.recipient_key, "big"), ec.SECP256R1())
    result = js_open(page, case.envelope, recipient, case.author_public_key)
    if case.expect == "success":
        assert result.get("error") is None, case.comment
        assert bytes.fromhex(result["content"]) == case.content, case.comment
    else:
        assert result == {"error": case.expect}, case.comment


# --- (c) across the language boundary


@pytest.mark.parametrize("urgent", [True, False], ids=["urgent", "routine"])
def test_sealed_in_browser_opened_in_python(page, urgent):
    team = new_keys(3)
    author_public = bytes.fromhex(page.evaluate("() => lantern.newDevice()"))
    record_id = uuid7()
    content = b'{"v":1,"type":"concern","words":"bruise on left arm"}'
    sealed = js_seal(page, content, team, urgent=urgent, record_id=str(record_id))

    author = envelope.public_key_from_bytes(author_public)
    for member in team:
        opened = envelope.open(sealed, recipient=member, author=author)
        assert opened.content == content
        assert opened.header.urgent is urgent
        assert opened.header.school_id == uuid.UUID(SCHOOL)
        assert opened.header.record_id == record_id
        assert opened.header.author_key_id == envelope.key_id(author_public)
        assert set(opened.header.recipient_key_ids) == {envelope.key_id(k.public_key()) for k in team}
    with pytest.raises(envelope.EnvelopeError) as err:
        envelope.open(sealed, recipient=new_keys(1)[0], author=author)
    assert err.value.code == "not_a_recipient"


def test_device_key_is_not_extractable(page):
    page.evaluate("() => lantern.newDevice()")
    assert page.evaluate("() => lantern.deviceKeyExportable()") is False


@pytest.mark.parametrize("urgent", [True, False], ids=["urgent", "routine"])
def test_sealed_in_python_opened_in_browser(page, urgent):
    team = new_keys(2)
    author = ec.generate_private_key(ec.SECP256R1())
    author_public = envelope.public_bytes(author.public_key())
    record_id = uuid7()
    content = bytes(range(256)) * 20  # 5120 bytes: the 8 KiB bucket
    sealed = envelope.seal(
        content, school_id=uuid.UUID(SCHOOL), record_id=record_id,
        recipients=[k.public_key() for k in team], author=author, urgent=urgent,
    )
    for member in team:
        opened = js_open(page, sealed, member, author_public)
        assert bytes.fromhex(opened["content"]) == content
        assert opened["header"]["urgent"] is urgent
        assert opened["header"]["schoolId"] == SCHOOL
        assert opened["header"]["recordId"] == str(record_id)
        assert opened["header"]["authorKeyId"] == envelope.key_id(author_public).hex()


def test_static_origin_mounts(page):
    """The fixture's mounts as the browser sees them: modules as JavaScript, vectors at /__vectors__/."""
    served = page.evaluate(
        """async () => {
            const js = await fetch("/common/envelope.js");
            const vectors = await fetch("/__vectors__/hpke-base-p256-sha256-aes256gcm.json");
            return { type: js.headers.get("content-type"), vectors: await vectors.json() };
        }"""
    )
    assert served["type"].startswith("text/javascript")
    assert served["vectors"] == HPKE_VECTORS


def test_the_browser_makes_the_receipt_proof_of_the_vector(page):
    vector = json.loads((VECTORS / "receipt.json").read_text())
    proof = page.evaluate(
        "async ([k, r]) => lantern.bytes.toHex(await lantern.envelope.receiptProof(lantern.bytes.fromHex(k), r))",
        [vector["content_key"], vector["record_id"]],
    )
    assert proof == vector["proof"]


def test_sealing_in_the_browser_keeps_the_key_a_python_reader_proves_with_and_pads_its_stanzas(page):
    reader = new_keys(1)[0]
    record_id = str(uuid7())
    kept = page.evaluate(
        """async ([pub, recordId, school]) => {
             const device = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
             const raw = new Uint8Array(await crypto.subtle.exportKey("raw", device.publicKey));
             const { envelope, contentKey } = await lantern.envelope.sealKeepingKey({
               content: new TextEncoder().encode("note"), schoolId: school, recordId,
               recipients: [lantern.bytes.fromHex(pub)], authorPrivateKey: device.privateKey, authorPublicKeyRaw: raw,
               stanzasAtLeast: 3,
             });
             const proof = await lantern.envelope.receiptProof(contentKey, recordId);
             return [lantern.bytes.toBase64(envelope), lantern.bytes.toHex(raw), lantern.bytes.toHex(proof)];
           }""",
        [public_hex(reader), record_id, SCHOOL],
    )
    sealed, author_hex, proof = base64.b64decode(kept[0]), bytes.fromhex(kept[1]), kept[2]
    opened = envelope.open(sealed, recipient=reader, author=envelope.public_key_from_bytes(author_hex))
    assert envelope.receipt_proof(opened.content_key, uuid.UUID(record_id)).hex() == proof
    # Padded with stanzas for nobody to three, in order, as sync/envelope.py pads.
    ids = opened.header.recipient_key_ids
    assert len(ids) == 3 and list(ids) == sorted(ids) and envelope.key_id(reader.public_key()) in ids
