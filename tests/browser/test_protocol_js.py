"""pwa/common/{api,enrol,keyring}.js in real headless Chromium, with no server: codes, signed requests
and the clock, keyring acceptance, and enrolment against canned answers. Keys, signatures and codes
are made and checked here with `cryptography`, independently of the JavaScript."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from email.utils import formatdate

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from sync import codes

SCHOOL = "0190a0a0-0000-7000-8000-0000000000aa"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def public_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def sign(key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify(public: bytes, message: bytes, signature: bytes) -> None:
    """Raises InvalidSignature unless `signature` (64 bytes r || s) is good."""
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def recipient(role: str, key: ec.EllipticCurvePrivateKey | None = None) -> dict:
    public = public_bytes(key or new_key())
    return {
        "key_id": hashlib.sha256(public).hexdigest(), "person_id": str(uuid.uuid4()), "role": role,
        "name": f"A {role}", "public_key": b64(public),
    }


def payload(version: int, *, school: str = SCHOOL, recipients: list | None = None, **changes) -> bytes:
    content = {
        "v": 1, "school_id": school, "school_name": "Test School", "version": version,
        "issued_at": "2026-11-26T09:00:00Z",
        "recipients": recipients if recipients is not None else [recipient("dsl"), recipient("deputy_dsl")],
        "contacts": [{"kind": "emergency", "name": "Emergency services", "phone": "999"}],
    }
    content.update(changes)
    return json.dumps(content, indent=1).encode()


def signed(trust: ec.EllipticCurvePrivateKey, data: bytes) -> dict:
    return {"payload": b64(data), "signature": b64(sign(trust, b"lantern-keyring-v1" + data))}


def code_for(secret: bytes, trust_public: bytes) -> str:
    raw = base64.b32encode(secret + hashlib.sha256(trust_public).digest()[:10]).decode()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


# --- codes


def test_base32_matches_rfc_4648(page):
    samples = [os.urandom(n) for n in (0, 1, 2, 3, 4, 5, 10, 20, 33)]
    result = page.evaluate(
        "(hexes) => hexes.map((h) => lantern.bytes.toBase32(lantern.bytes.fromHex(h)))", [s.hex() for s in samples]
    )
    assert result == [base64.b32encode(s).decode().rstrip("=") for s in samples]
    back = page.evaluate(
        "(texts) => texts.map((t) => lantern.bytes.toHex(lantern.bytes.fromBase32(t)))", result
    )
    assert back == [s.hex() for s in samples]


def test_parse_code(page):
    """Codes as sync/codes.py makes them, with the keyring version and the check; and the 32-character
    codes from before them. Both readers agree on every one."""
    secret, fp = os.urandom(10), os.urandom(10)
    new = codes.Code(secret, fp, 70_000).text()
    old = base64.b32encode(secret + fp).decode()
    raw = new.replace("-", "")
    spellings = [raw, raw.lower(), new, new.replace("-", " "), " " + new.lower() + "\n"]
    # Every one-character mistake in a new code is caught by its check, here and in Python.
    typos = [raw[:i] + c + raw[i + 1:] for i in range(len(raw)) for c in "A7" if c != raw[i]]
    for typo in typos:
        with pytest.raises(ValueError):
            codes.parse_code(typo)
    bad = [raw[:-1], raw + "A", raw[:-1] + "1", raw[:-1] + "=", old[:-1], "", "hello", *typos]
    result = page.evaluate(
        """([good, old, bad]) => {
            const parse = (t) => { try { const c = lantern.codes.parseCode(t);
                return lantern.bytes.toHex(c.secret) + "/" + lantern.bytes.toHex(c.fingerprint) + "/" + c.minKeyringVersion;
            } catch (e) { return e.code; } };
            return { good: good.map(parse), old: parse(old), bad: bad.map(parse),
                     hash: [lantern.enrol.codeFromHash("#enrol=AB%20CD"), lantern.enrol.codeFromHash("#other")] };
        }""",
        [spellings, old, bad],
    )
    assert result["good"] == [f"{secret.hex()}/{fp.hex()}/70000"] * len(spellings)
    assert result["old"] == f"{secret.hex()}/{fp.hex()}/0"
    assert result["bad"] == ["code_malformed"] * len(bad)
    assert result["hash"] == ["AB CD", None]


def test_a_code_made_in_the_app_reads_in_python_and_both_make_the_same_token_and_approval(page):
    """pwa/common/codes.js against sync/codes.py: the trust key holder's app formats a code Python
    reads, and both make the same token (what the server checks) and approval (what only the code's
    issuer can check) from its secret."""
    secret, fp, device = os.urandom(10), os.urandom(10), b"\x04" + os.urandom(64)
    result = page.evaluate(
        """async ([secret, fp, device]) => {
            const s = lantern.bytes.fromHex(secret);
            return { text: lantern.codes.formatCode({ secret: s, fingerprint: lantern.bytes.fromHex(fp), minKeyringVersion: 70000 }),
                     token: lantern.bytes.toHex(await lantern.codes.codeToken(s)),
                     approval: lantern.bytes.toHex(await lantern.codes.codeApproval(s, lantern.bytes.fromHex(device))) };
        }""",
        [secret.hex(), fp.hex(), device.hex()],
    )
    assert result["text"] == codes.Code(secret, fp, 70_000).text()
    assert result["token"] == codes.token(secret).hex()
    assert result["approval"] == codes.approval(secret, device).hex()


def test_the_holders_app_vouches_only_for_a_device_its_own_code_set_up_for_that_person(page):
    """pwa/team/issued-codes.js vouchedDevices: the draft's device is vouched for when one of this app's
    codes, issued to the same person, made the approval over the device's public key, and that key is
    the one its key id names. The server's word on any of these alone proves nothing."""
    secret, other_secret = os.urandom(10), os.urandom(10)
    device = b"\x04" + os.urandom(64)
    device_id = hashlib.sha256(device).hexdigest()
    tom, rosa = str(uuid.uuid4()), str(uuid.uuid4())
    content = {"devices": [{"key_id": device_id, "person_id": tom, "name": "Tom", "role": "staff", "label": ""}]}
    code = {"secret": b64(secret), "personId": tom, "name": "Tom", "issuedAt": "2026-12-02T09:00:00Z"}

    def vouched(codes_held, source, draft=content):
        return page.evaluate(
            "async ([c, d, s]) => [...(await lantern.issuedCodes.vouchedDevices(c, d, s)).keys()]", [codes_held, draft, [source]]
        )

    good = {"key_id": device_id, "public_key": b64(device), "enrolled_at": "", "approval": b64(codes.approval(secret, device))}
    assert vouched([code], good) == [device_id]
    assert vouched([{**code, "secret": b64(other_secret)}], good) == []  # not this app's code
    assert vouched([{**code, "personId": rosa}], good) == []  # a code for someone else
    assert vouched([code], {**good, "approval": b64(codes.approval(codes.token(secret), device))}) == []  # what the server could make
    assert vouched([code], {**good, "public_key": b64(b"\x04" + os.urandom(64))}) == []  # another key under this id
    assert vouched([code], {**good, "approval": ""}) == []  # enrolled before approvals
    assert vouched([code], good, {"devices": []}) == []  # not in the draft


def test_a_roster_is_kept_only_from_an_approved_device_of_the_dsl_or_a_deputy(page):
    """pwa/common/roster.js fetchRoster: under a keyring that names its approved devices, a roster whose
    author is not an approved DSL's or deputy's device is refused (unapproved_author), so a device the
    server enrolled for itself cannot hand out a false list; under one from before approvals, as before."""
    from sync import envelope
    from sync.ids import uuid7

    author = new_key()
    author_id = hashlib.sha256(public_bytes(author)).hexdigest()
    sealed = envelope.seal(b"a roster", school_id=uuid.UUID(SCHOOL), record_id=uuid7(),
                           recipients=[new_key().public_key()], author=author)
    answer = {"status": 200, "body": {"version": 1, "envelope": b64(sealed), "author_public_key": b64(public_bytes(author))}}

    def kept(devices):
        return page.evaluate(
            """async ([answer, devices]) => {
                await lantern.freshApp();
                const a = lantern.app();
                const profileId = "p-" + Math.random();
                await lantern.db.put(a.db, "settings", { version: 3, content: { devices } }, "keyring:" + profileId);
                lantern.stubFetch([answer]);
                const result = await lantern.outcome(() => lantern.roster.fetchRoster(a.db, a.device, profileId));
                lantern.takeRequests();
                return result;
            }""",
            [answer, devices],
        )

    def device(role, key_id=author_id):
        return {"key_id": key_id, "person_id": str(uuid.uuid4()), "name": "X", "role": role, "label": ""}

    assert kept([device("dsl")]) == {"value": True}
    assert kept([device("deputy_dsl")]) == {"value": True}
    assert kept([device("staff")]) == {"error": "unapproved_author"}
    assert kept([device("dsl", "ab" * 32)]) == {"error": "unapproved_author"}
    assert kept([]) == {"error": "unapproved_author"}
    assert kept(None) == {"value": True}  # a keyring from before approvals


# --- signed requests and the clock


def check_signed(request: dict, public: bytes, key_id: str) -> int:
    """Checks one recorded request's Lantern-* headers against the spec's M; returns its date."""
    h = request["headers"]
    assert h["Lantern-Device"] == key_id
    assert len(bytes.fromhex(h["Lantern-Nonce"])) == 16
    path = request["url"]
    body = (request["body"] or "").encode()
    fields = [request["method"], path, h["Lantern-Date"], h["Lantern-Nonce"], hashlib.sha256(body).hexdigest()]
    message = "\n".join(["lantern-request-v1", *fields]).encode()
    verify(public, message, base64.b64decode(h["Lantern-Signature"], validate=True))
    return int(h["Lantern-Date"])


def run_signed(page, answers, method="POST", path="/api/v1/status?x=1", body=None):
    return page.evaluate(
        """async ([answers, method, path, body]) => {
            lantern.stubFetch(answers);
            const device = lantern.app().device;
            const result = await lantern.outcome(() => lantern.api.signedFetch(device, method, path, body));
            return { result, requests: lantern.takeRequests(), settings: await lantern.settings(),
                     serverNow: lantern.clock.serverSeconds() };
        }""",
        [answers, method, path, body],
    )


def test_signed_request_headers_verify_in_python(page):
    device = page.evaluate("() => lantern.freshApp()")
    public = bytes.fromhex(device["publicKey"])
    assert device["keyId"] == hashlib.sha256(public).hexdigest()
    ok = {"status": 200, "body": {"statuses": []}, "headers": {"date": formatdate(usegmt=True)}}
    out = run_signed(page, [ok, ok], body={"record_ids": ["0190a0a0-0000-7000-8000-000000000001"]})
    assert out["result"] == {"value": {"status": 200, "body": {"statuses": []}}}
    [request] = out["requests"]
    assert request["method"] == "POST" and request["url"] == "/api/v1/status?x=1"
    assert request["headers"]["Content-Type"] == "application/json"
    assert json.loads(request["body"]) == {"record_ids": ["0190a0a0-0000-7000-8000-000000000001"]}
    assert abs(check_signed(request, public, device["keyId"]) - time.time()) < 5

    out = run_signed(page, [ok], method="GET", path="/api/v1/keyring")
    [request] = out["requests"]
    assert request["body"] is None and "Content-Type" not in request["headers"]
    check_signed(request, public, device["keyId"])


def test_stale_request_moves_the_clock_and_retries_once(page):
    device = page.evaluate("() => lantern.freshApp()")
    public = bytes.fromhex(device["publicKey"])
    ahead = time.time() + 7200  # the tablet's clock is two hours slow
    date = {"date": formatdate(ahead, usegmt=True)}
    stale = {"status": 401, "body": {"error": "stale_request", "detail": "..."}, "headers": date}
    ok = {"status": 200, "body": {"results": []}, "headers": date}

    out = run_signed(page, [stale, ok], body={"envelopes": []})
    assert out["result"] == {"value": {"status": 200, "body": {"results": []}}}
    first, second = out["requests"]
    assert abs(check_signed(first, public, device["keyId"]) - time.time()) < 5
    assert abs(check_signed(second, public, device["keyId"]) - ahead) < 5
    assert first["headers"]["Lantern-Nonce"] != second["headers"]["Lantern-Nonce"]
    assert abs(out["settings"]["clockOffsetMs"] - 7_200_000) < 5_000
    assert abs(out["serverNow"] - ahead) < 5

    # The offset is kept: a reload of the clock from IndexedDB still knows it.
    reloaded = page.evaluate("() => lantern.clock.loadClock(lantern.app().db).then(lantern.clock.serverSeconds)")
    assert abs(reloaded - ahead) < 5

    # Only once: stale again is the caller's to handle (the outbox keeps the note for later).
    out = run_signed(page, [stale, stale, ok])
    assert out["result"] == {"value": {"status": 401, "body": {"error": "stale_request", "detail": "..."}}}
    assert len(out["requests"]) == 2

    # Other refusals are not retried, and no answer at all throws.
    out = run_signed(page, [{"status": 401, "body": {"error": "bad_request_signature"}}, ok])
    assert out["result"]["value"]["status"] == 401 and len(out["requests"]) == 1
    assert run_signed(page, [{"offline": True}])["result"] == {"error": "OfflineError"}
    out = run_signed(page, [{"status": 502}])
    assert out["result"] == {"value": {"status": 502, "body": None}}


# --- the keyring


def accept_all(page, trust_public: bytes, steps: list, school: str = SCHOOL) -> dict:
    return page.evaluate(
        """async ([trustHex, school, steps]) => {
            const db = await lantern.freshDb();
            const profile = { id: "a-profile", enrolment: { school: { id: school }, trustPublicKeyRaw: lantern.bytes.fromHex(trustHex) } };
            const out = [];
            for (const step of steps) {
                const r = await lantern.outcome(() => lantern.keyring.acceptKeyring(db, profile, step));
                out.push(r.error || r.value.version);
            }
            const held = await lantern.keyring.loadKeyring(db, profile.id);
            return { out, held: held && held.version, payload: held && lantern.bytes.toBase64(held.payload),
                     recipients: held && lantern.keyring.recipientsFor(held).map(lantern.bytes.toHex) };
        }""",
        [trust_public.hex(), school, steps],
    )


def test_keyring_acceptance_and_refusals(page):
    trust, impostor = new_key(), new_key()
    v2 = payload(2)
    v3 = payload(3)
    tampered = signed(trust, v3)
    tampered["payload"] = b64(v3.replace(b"Test School", b"Evil School"))
    bad_key_id = recipient("dsl")
    bad_key_id["key_id"] = hashlib.sha256(b"another key").hexdigest()
    not_a_point = b"\x04" + bytes(64)
    bad_point = {**recipient("dsl"), "public_key": b64(not_a_point), "key_id": hashlib.sha256(not_a_point).hexdigest()}
    cases = [
        ("v2", signed(trust, v2), 2),
        ("another key", signed(impostor, v3), "keyring_bad_signature"),
        ("tampered payload", tampered, "keyring_bad_signature"),
        ("unsigned", {"payload": b64(v3)}, "keyring_bad_signature"),
        ("not json, not signed", {"payload": b64(b"{nope"), "signature": b64(bytes(64))}, "keyring_bad_signature"),
        ("not json, signed", signed(trust, b"{nope"), "keyring_invalid"),
        ("another school", signed(trust, payload(3, school=str(uuid.uuid4()))), "keyring_invalid"),
        ("v is 2", signed(trust, payload(3, v=2)), "keyring_invalid"),
        ("key id mismatch", signed(trust, payload(3, recipients=[bad_key_id])), "keyring_invalid"),
        ("not a point", signed(trust, payload(3, recipients=[bad_point])), "keyring_invalid"),
        ("unknown role", signed(trust, payload(3, recipients=[recipient("caretaker")])), "keyring_invalid"),
        ("no contacts list", signed(trust, payload(3, contacts=None)), "keyring_invalid"),
        ("version 0", signed(trust, payload(0)), "keyring_invalid"),
        ("older", signed(trust, payload(1)), "keyring_rollback"),
        ("same version, other bytes", signed(trust, payload(2, issued_at="2026-11-27T09:00:00Z")), "keyring_rollback"),
        ("same version, same bytes", signed(trust, v2), 2),
    ]
    result = accept_all(page, public_bytes(trust), [c[1] for c in cases])
    assert dict(zip([c[0] for c in cases], result["out"])) == {c[0]: c[2] for c in cases}
    assert result["held"] == 2 and base64.b64decode(result["payload"]) == v2  # every refusal kept v2

    result = accept_all(page, public_bytes(trust), [signed(trust, v2), signed(trust, v3), signed(trust, v2)])
    assert result["out"] == [2, 3, "keyring_rollback"]
    assert result["held"] == 3 and base64.b64decode(result["payload"]) == v3


def test_concerns_go_to_the_dsl_and_deputies_only(page):
    trust = new_key()
    dsl, deputy, head, chair = new_key(), new_key(), new_key(), new_key()
    team = [recipient("headteacher", head), recipient("dsl", dsl), recipient("chair_of_governors", chair),
            recipient("deputy_dsl", deputy)]
    result = accept_all(page, public_bytes(trust), [signed(trust, payload(1, recipients=team))])
    assert result["out"] == [1]
    assert result["recipients"] == [public_bytes(dsl).hex(), public_bytes(deputy).hex()]


# --- enrolment against canned answers


def enrol_answer(device: dict, trust: ec.EllipticCurvePrivateKey, keyring: dict | None = None) -> dict:
    return {
        "status": 200,
        "headers": {"date": formatdate(usegmt=True)},
        "body": {
            "school": {"id": SCHOOL, "name": "Test School", "demo": False},
            "person": {"id": str(uuid.uuid4()), "name": "A teacher", "role": "staff"},
            "device_key_id": device["keyId"],
            "trust_public_key": b64(public_bytes(trust)),
            "keyring": keyring or signed(trust, payload(1)),
        },
    }


def run_enrol(page, code: str, answers: list) -> dict:
    return page.evaluate(
        """async ([code, answers]) => {
            lantern.stubFetch(answers);
            const a = lantern.app();
            const result = await lantern.outcome(() => lantern.enrol.enrol(a.db, a.device, code, "Test tablet")
                .then((p) => p.enrolment.school.name));
            // One profile per enrolment, holding this device key, with its keyring beside it.
            const profiles = await lantern.db.getAll(a.db, "profiles");
            const keyring = profiles.length ? await lantern.keyring.loadKeyring(a.db, profiles[0].id) : null;
            return { result, requests: lantern.takeRequests(), enrolment: profiles.length === 1, keyring: !!keyring,
                     loaded: profiles.length === 1 && profiles[0].device.keyId === a.device.keyId && !profiles[0].lock };
        }""",
        [code, answers],
    )


def test_enrol_sends_the_token_a_proof_and_the_approval_never_the_secret_and_stores_both(page):
    device = page.evaluate("() => lantern.freshApp()")
    trust = new_key()
    secret = os.urandom(10)
    out = run_enrol(page, code_for(secret, public_bytes(trust)).lower(), [enrol_answer(device, trust)])
    assert out["result"] == {"value": "Test School"}
    assert out["enrolment"] and out["keyring"] and out["loaded"]
    [request] = out["requests"]
    assert request["url"] == "/api/v1/enrol" and request["method"] == "POST"
    assert not any(h.startswith("Lantern-") for h in request["headers"])
    body = json.loads(request["body"])
    assert set(body) == {"code", "device_public_key", "label", "proof", "approval"}
    token = codes.token(secret)
    assert body["code"] == base64.b32encode(token).decode()  # the token only: not the secret, nor the fingerprint
    assert body["label"] == "Test tablet"
    public = base64.b64decode(body["device_public_key"])
    assert public.hex() == device["publicKey"]
    verify(public, b"lantern-enrol-v1" + token + public, base64.b64decode(body["proof"]))
    assert base64.b64decode(body["approval"]) == codes.approval(secret, public)
    assert secret.hex() not in request["body"] and base64.b32encode(secret).decode() not in request["body"]


@pytest.mark.parametrize(
    "case, expect",
    [
        ("fingerprint of another trust key", "trust_key_mismatch"),
        ("keyring signed by another key", "keyring_bad_signature"),
        ("keyring of another school", "keyring_invalid"),
        ("another device's key id", "bad_answer"),
        ("code already used", "enrolment_code_used"),
        ("rate limited", "rate_limited"),
        ("no network", "offline"),
        ("malformed code", "code_malformed"),
    ],
)
def test_enrol_refusals_store_nothing(page, case, expect):
    device = page.evaluate("() => lantern.freshApp()")
    trust = new_key()
    code = code_for(os.urandom(10), public_bytes(trust))
    answer = enrol_answer(device, trust)
    if case == "fingerprint of another trust key":
        code = code_for(os.urandom(10), public_bytes(new_key()))
    elif case == "keyring signed by another key":
        answer = enrol_answer(device, trust, signed(new_key(), payload(1)))
    elif case == "keyring of another school":
        answer = enrol_answer(device, trust, signed(trust, payload(1, school=str(uuid.uuid4()))))
    elif case == "another device's key id":
        answer["body"]["device_key_id"] = "ab" * 32
    elif case == "code already used":
        answer = {"status": 409, "body": {"error": "enrolment_code_used", "detail": "..."}}
    elif case == "rate limited":
        answer = {"status": 429, "body": {"error": "rate_limited", "detail": "..."}}
    elif case == "no network":
        answer = {"offline": True}
    elif case == "malformed code":
        code = code[:-2]
    out = run_enrol(page, code, [answer])
    assert out["result"] == {"error": expect}
    assert not out["enrolment"] and not out["keyring"] and not out["loaded"]
    assert len(out["requests"]) == (0 if expect == "code_malformed" else 1)


def test_a_draft_from_the_server_is_checked_and_shown_as_changes(page):
    """pwa/team/keyring-changes.js: what the trust key holder's app reads before signing. The server
    writes the draft, so one for another school, or not one version after the keyring held, is refused
    before anything is shown."""
    dsl, deputy, head = recipient("dsl"), recipient("deputy_dsl"), recipient("headteacher")
    held = json.loads(payload(4, recipients=[dsl, deputy]))
    contacts = [{"kind": "lado", "name": "LADO", "phone": "01234 000111"}]
    draft = json.loads(payload(5, recipients=[dsl, head]))
    draft["contacts"] = contacts
    source = {"key_id": head["key_id"], "device_key_id": "ab" * 32, "device_label": "Head's iPad", "proposed_at": "2026-12-01T08:00:00Z"}

    def check(content):
        return page.evaluate(
            """async ([content, held, school]) => {
                try {
                    const draft = { payload: lantern.bytes.toBase64(new TextEncoder().encode(JSON.stringify(content))) };
                    return { content: await lantern.keyringChanges.checkDraft(draft, { version: held.version }, school) };
                } catch (e) { return { error: e.code }; }
            }""",
            [content, held, SCHOOL],
        )

    assert check(draft)["content"]["version"] == 5
    # What the server slipped in beside the known fields is not signed.
    extra = {**draft, "approved_by": "the server", "recipients": [{**dsl, "can_decrypt_all": True}, head]}
    assert "approved_by" not in check(extra)["content"] and check(extra)["content"]["recipients"][0] == dsl
    assert check({**draft, "version": 4}) == {"error": "keyring_rollback"}
    assert check({**draft, "version": 7}) == {"error": "keyring_rollback"}
    assert check({**draft, "school_id": str(uuid.uuid4())}) == {"error": "keyring_invalid"}
    assert check({**draft, "recipients": [{**head, "key_id": dsl["key_id"]}]}) == {"error": "keyring_invalid"}

    changes = page.evaluate("([a, b, s]) => lantern.keyringChanges.keyringChanges(a, b, s)", [held, draft, [source]])
    assert [(c["change"], c["what"]) for c in changes] == [
        ("added", "reader"), ("removed", "reader"), ("added", "contact"), ("removed", "contact"),
    ]
    short = " ".join(head["key_id"][i:i + 4] for i in range(0, 16, 4))
    assert changes[0]["text"] == (
        f"New reader: A headteacher (headteacher), key {short}, made on the device \"Head's iPad\" (abab abab abab abab) on 2026-12-01"
    )
    assert changes[1]["text"].startswith("No longer a reader: A deputy_dsl (deputy DSL)")
    assert page.evaluate("([a]) => lantern.keyringChanges.keyringChanges(a, a, [])", [held]) == []


def test_a_new_readers_key_is_signed_in_only_with_its_approved_devices_proof(page):
    """pwa/team/keyring-changes.js leaveOutUnproven: the server says which device made each new key; the
    holder's app believes it only on that device's signature over the key (sync/key_proofs.py), the
    device approved for the same person. New devices are listed as changes, to approve by signing."""
    held = json.loads(payload(4, recipients=[]))
    held["devices"] = []
    device = new_key()
    device_public = public_bytes(device)
    device_id = hashlib.sha256(device_public).hexdigest()
    rosa = recipient("dsl")
    draft = json.loads(payload(5, recipients=[rosa]))
    draft["devices"] = [{"key_id": device_id, "person_id": rosa["person_id"], "name": "Rosa", "role": "dsl", "label": "Rosa's phone"}]
    key = base64.b64decode(rosa["public_key"])
    good = sign(device, b"lantern-recipient-key-v1" + uuid.UUID(SCHOOL).bytes + key)

    def source(**changes):
        return {"key_id": rosa["key_id"], "device_key_id": device_id, "device_label": "Rosa's phone",
                "proposed_at": "2026-12-01T08:00:00Z", "device_public_key": b64(device_public), "proof": b64(good), **changes}

    def kept(sources, content=draft):
        result = page.evaluate(
            "([h, d, s, school]) => lantern.keyringChanges.leaveOutUnproven(h, d, s, school)", [held, content, sources, SCHOOL]
        )
        return [r["key_id"] for r in result["content"]["recipients"]], [c["change"] for c in result["leftOut"]]

    assert kept([source()]) == ([rosa["key_id"]], [])
    other = new_key()
    assert kept([source(proof=b64(sign(other, b"lantern-recipient-key-v1" + uuid.UUID(SCHOOL).bytes + key)))]) == ([], ["left-out"])
    assert kept([source(proof="")]) == ([], ["left-out"])
    assert kept([source(proof=b64(sign(device, b"lantern-roster-key-v1" + uuid.UUID(SCHOOL).bytes + key)))]) == ([], ["left-out"])
    someone_else = {**draft, "devices": [{**draft["devices"][0], "person_id": str(uuid.uuid4())}]}
    assert kept([source()], someone_else) == ([], ["left-out"])  # a device approved for another person
    unapproved = {**draft, "devices": []}
    assert kept([source()], unapproved) == ([], ["left-out"])
    assert kept([source(device_key_id="", device_public_key="", proof="")]) == ([rosa["key_id"]], [])  # an admin's

    short = " ".join(device_id[i:i + 4] for i in range(0, 16, 4))
    changes = page.evaluate("([a, b]) => lantern.keyringChanges.keyringChanges(a, b, [])", [held, draft])
    assert {"change": "added", "what": "device", "vouched": False,
            "text": f"New device: \"Rosa's phone\" ({short}), enrolled to Rosa (DSL), set up with a code this app did not give: "
                    "check with Rosa that it is theirs before you sign"} in changes
    # Set up with one of this app's own codes: said, and so is the reader key that device proved.
    code = {"issuedAt": "2026-12-02T09:00:00.000Z"}
    changes = page.evaluate(
        "([a, b, s, id, code]) => lantern.keyringChanges.keyringChanges(a, b, s, new Map([[id, code]]))",
        [held, draft, [source()], device_id, code],
    )
    assert [(c["what"], c["vouched"]) for c in changes] == [("reader", True), ("device", True)]
    assert changes[1]["text"].endswith("set up with the code you gave them on 2026-12-02")
