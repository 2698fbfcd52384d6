"""Enrolment, signed requests and the pinned keyring, against a real server and a real SQLite file."""

from __future__ import annotations

import base64
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import msgspec
import pytest

from server import devices, keyrings, schools
from server.demo import load_demo_key
from server.errors import Refused
from server.sql import insert
from sync import codes, keyfiles, keyring
from sync.client import ApiError
from sync.requests import sign_request
from sync.signing import public_bytes
from tests.conftest import BOTH_DATABASES, start_server, stop_server

pytestmark = BOTH_DATABASES  # the server suite: on SQLite and on PostgreSQL


def refused(call) -> tuple[int, str]:
    with pytest.raises(ApiError) as raised:
        call()
    return raised.value.status, raised.value.code


# Enrolment


def test_a_code_works_once(server):
    code = server.code_for("staff")
    first = server.client()
    assert first.enrol(code).person.role == "staff"
    assert refused(lambda: server.client().enrol(code)) == (409, "enrolment_code_used")


def test_an_expired_code_is_refused(server):
    db = server.db()
    person = schools.add_person(db, server.demo_school_id(), "Late", "staff")
    code = devices.issue_code(db, person, hours=-1).text()
    db.close()
    assert refused(lambda: server.client().enrol(code)) == (410, "enrolment_code_expired")


def test_an_unknown_code_is_refused(server):
    real = codes.parse_code(server.code_for("staff"))
    forged = codes.Code(bytes(10), real.fingerprint).text()
    assert refused(lambda: server.client().enrol(forged)) == (400, "enrolment_code_invalid")


def test_a_code_for_another_school_is_refused_by_the_device(server):
    """The code names one school's trust key; a server answering for another is not believed."""
    code = codes.parse_code(server.code_for("staff"))
    wrong = codes.Code(code.secret, codes.fingerprint(public_bytes(keyfiles.new_key().public_key()))).text()
    client = server.client()
    with pytest.raises(keyring.KeyringError) as raised:
        client.enrol(wrong)
    assert raised.value.code == "trust_key_mismatch"
    assert client.school_id is None and client.accepted_keyring is None


def test_enrolment_needs_the_device_private_key(server):
    code = codes.parse_code(server.code_for("staff"))
    stranger = keyfiles.new_key()
    body = {
        "code": code.token_text(),
        "device_public_key": public_bytes(stranger.public_key()),
        "proof": bytes(64),
        "approval": codes.approval(code.secret, public_bytes(stranger.public_key())),
    }
    response = httpx.post(server.url + "/api/v1/enrol", content=msgspec.json.encode(body),
                          headers={"content-type": "application/json"})
    assert (response.status_code, response.json()["error"]) == (400, "invalid_proof")
    server.client().enrol(code.text())  # the code was not spent by the failed attempt


def test_enrolment_is_rate_limited(tmp_path):
    limited = start_server(tmp_path / "data", env={"LANTERN_ENROL_PER_MINUTE": "3"})
    try:
        json = {"content-type": "application/json"}
        answers = [httpx.post(limited.url + "/api/v1/enrol", content=b"{}", headers=json).status_code for _ in range(3)]
        assert 429 not in answers
        response = httpx.post(limited.url + "/api/v1/enrol", content=b"{}", headers=json)
        assert (response.status_code, response.json()["error"]) == (429, "rate_limited")
        assert response.headers["retry-after"]
    finally:
        stop_server(limited)


# Signed requests


def test_a_forged_signature_is_refused(server):
    staff = server.enrolled("staff")
    headers = sign_request(staff.device, "GET", "/api/v1/keyring", b"")
    signature = bytearray(base64.b64decode(headers["Lantern-Signature"]))
    signature[10] ^= 1
    headers["Lantern-Signature"] = base64.b64encode(bytes(signature)).decode()
    response = httpx.get(server.url + "/api/v1/keyring", headers=headers)
    assert (response.status_code, response.json()["error"]) == (401, "bad_request_signature")


@pytest.mark.parametrize(("header", "change"), [
    ("Lantern-Date", lambda d: "+" + d),
    ("Lantern-Date", lambda d: d[:3] + "_" + d[3:]),
    ("Lantern-Date", lambda d: d + ".0"),
    ("Lantern-Nonce", str.upper),
    ("Lantern-Nonce", lambda n: n[:-2]),
    ("Lantern-Device", str.upper),
    ("Lantern-Signature", lambda s: s.rstrip("=")),
])
def test_signature_headers_must_be_exactly_as_the_spec_writes_them(server, header, change):
    """Each header is signed as sent, so the server reads each only in the one form the spec gives
    (docs/protocol.md, "Authenticated requests"): another implementation must not be able to disagree."""
    staff = server.enrolled("staff")
    headers = sign_request(staff.device, "GET", "/api/v1/keyring", b"")
    assert httpx.get(server.url + "/api/v1/keyring", headers=headers).status_code == 200
    headers = sign_request(staff.device, "GET", "/api/v1/keyring", b"")
    headers[header] = change(headers[header])
    response = httpx.get(server.url + "/api/v1/keyring", headers=headers)
    assert (response.status_code, response.json()["error"]) == (401, "unauthenticated")
    assert header in response.json()["detail"]


def test_a_signature_for_another_request_is_refused(server):
    staff = server.enrolled("staff")
    headers = sign_request(staff.device, "GET", "/api/v1/envelopes?after=0", b"")
    response = httpx.get(server.url + "/api/v1/envelopes?after=5", headers=headers)
    assert (response.status_code, response.json()["error"]) == (401, "bad_request_signature")


def test_a_replayed_request_is_refused_and_changes_nothing(server):
    staff, dsl = server.enrolled("staff"), server.enrolled("dsl")
    body = msgspec.json.encode({"envelopes": [staff.seal(b"once")]})
    headers = {"content-type": "application/json", **sign_request(staff.device, "POST", "/api/v1/envelopes", body)}
    assert httpx.post(server.url + "/api/v1/envelopes", content=body, headers=headers).status_code == 200
    again = httpx.post(server.url + "/api/v1/envelopes", content=body, headers=headers)
    assert (again.status_code, again.json()["error"]) == (401, "replayed_request")
    assert len(list(dsl.pull_all())) == 1


def test_a_push_spends_its_nonce_with_its_envelopes_and_a_refused_one_spends_nothing(server):
    """A push's nonce is spent in the transaction that stores its envelopes: the same request sent
    twice at once is stored once and refused once; a refused push leaves its nonce unspent."""
    staff, dsl = server.enrolled("staff"), server.enrolled("dsl")
    body = msgspec.json.encode({"envelopes": [staff.seal(b"raced")]})
    headers = {"content-type": "application/json", **sign_request(staff.device, "POST", "/api/v1/envelopes", body)}
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: httpx.post(server.url + "/api/v1/envelopes", content=body, headers=headers), range(2)))
    assert sorted(a.status_code for a in answers) == [200, 401]
    assert [a.json()["error"] for a in answers if a.status_code == 401] == ["replayed_request"]
    assert server.query("SELECT COUNT(*) FROM nonces WHERE nonce = ?", headers["Lantern-Nonce"]) == [(1,)]

    bad = msgspec.json.encode({"envelopes": [b"LNTN not an envelope"]})
    headers = {"content-type": "application/json", **sign_request(staff.device, "POST", "/api/v1/envelopes", bad)}
    for _ in range(2):  # refused for what it is each time, never as a replay
        answer = httpx.post(server.url + "/api/v1/envelopes", content=bad, headers=headers)
        assert (answer.status_code, answer.json()["error"]) == (400, "invalid_envelope")
    assert server.query("SELECT COUNT(*) FROM nonces WHERE nonce = ?", headers["Lantern-Nonce"]) == [(0,)]
    assert len(list(dsl.pull_all())) == 1


def test_a_stale_request_is_refused_and_the_client_corrects_its_clock(server):
    staff = server.enrolled("staff")
    headers = sign_request(staff.device, "GET", "/api/v1/keyring", b"", now=1_000_000)
    response = httpx.get(server.url + "/api/v1/keyring", headers=headers)
    assert (response.status_code, response.json()["error"]) == (401, "stale_request")
    staff.clock_offset = -3 * 3600  # a tablet three hours slow
    staff.keyring()
    assert abs(staff.clock_offset) < 5


def test_a_device_not_enrolled_is_refused(server):
    headers = sign_request(keyfiles.new_key(), "GET", "/api/v1/keyring", b"")
    response = httpx.get(server.url + "/api/v1/keyring", headers=headers)
    assert (response.status_code, response.json()["error"]) == (401, "unknown_device")


def test_a_revoked_device_is_refused_and_what_it_sent_stays(server):
    staff, dsl = server.enrolled("staff"), server.enrolled("dsl")
    note = staff.seal(b"sent before revocation")
    staff.push([note])
    db = server.db()
    assert devices.revoke(db, public_bytes_id(staff))
    assert not devices.revoke(db, public_bytes_id(staff))  # already revoked
    db.close()
    assert refused(lambda: staff.push([staff.seal(b"after")])) == (403, "device_revoked")
    assert [o.content for o in dsl.open_all(server.demo_key("dsl"))] == [b"sent before revocation"]


def test_a_device_that_leaves_is_revoked_only_itself_and_keeps_what_it_sent(server):
    staff, other, dsl = server.enrolled("staff"), server.enrolled("staff"), server.enrolled("dsl")
    staff.push([staff.seal(b"sent before leaving")])
    assert staff.leave().revoked is True
    assert refused(lambda: staff.push([staff.seal(b"after")])) == (403, "device_revoked")
    assert refused(staff.leave) == (403, "device_revoked")
    other.keyring()  # another device of the same school is untouched
    rows = server.query("SELECT key_id, revoked_at IS NOT NULL FROM devices")
    assert dict(rows)[public_bytes_id(staff)] == 1 and dict(rows)[public_bytes_id(other)] == 0
    assert [o.content for o in dsl.open_all(server.demo_key("dsl"))] == [b"sent before leaving"]


def public_bytes_id(client) -> str:
    from sync.signing import key_id

    return key_id(client.device.public_key()).hex()


# The keyring


def test_the_keyring_is_pinned_to_the_code(server):
    staff = server.enrolled("staff")
    trust = load_demo_key(server.data_dir, "trust")
    assert staff.trust_public_key == public_bytes(trust.public_key())
    assert staff.keyring().version == 1


def publish_next(server, trust) -> keyring.SignedKeyring:
    db = server.db()
    try:
        signed = keyring.sign(keyrings.draft(db, server.demo_school_id()), trust)
        keyrings.publish(db, server.demo_school_id(), signed)
        return signed
    finally:
        db.close()


def hostile_write(server, signed: keyring.SignedKeyring, version: int) -> None:
    """What a hostile server could do: put any keyring it likes in front of devices."""
    db = server.db()
    with db.write() as s:
        insert(s, "keyrings", {"school_id": str(server.demo_school_id()), "version": version,
                               "payload": signed.payload, "signature": signed.signature, "published_at": "now"})
    db.close()


def test_a_keyring_signed_by_another_key_is_refused(server):
    staff = server.enrolled("staff")
    held = staff.accepted_keyring
    db = server.db()
    payload = keyrings.draft(db, server.demo_school_id())
    db.close()
    hostile_write(server, keyring.sign(payload, keyfiles.new_key()), payload.version)
    with pytest.raises(keyring.KeyringError) as raised:
        staff.keyring()
    assert raised.value.code == "keyring_bad_signature"
    assert staff.accepted_keyring == held


def test_a_substituted_recipient_is_refused(server):
    """The server swaps its own key into a genuine keyring: the signature no longer verifies."""
    staff = server.enrolled("staff")
    genuine = staff.accepted_keyring
    payload = msgspec.json.decode(genuine.payload)
    payload["version"] = 2
    payload["recipients"][0]["public_key"] = msgspec.json.decode(
        msgspec.json.encode(public_bytes(keyfiles.new_key().public_key()))
    )
    hostile_write(server, keyring.SignedKeyring(msgspec.json.encode(payload), genuine.signature), 2)
    with pytest.raises(keyring.KeyringError) as raised:
        staff.keyring()
    assert raised.value.code == "keyring_bad_signature"


def test_an_unsigned_keyring_is_refused_on_publish(server):
    db = server.db()
    payload = keyrings.draft(db, server.demo_school_id())
    with pytest.raises(Exception) as raised:
        keyrings.publish(db, server.demo_school_id(), keyring.SignedKeyring(msgspec.json.encode(payload), bytes(64)))
    db.close()
    assert "keyring_bad_signature" in str(raised.value.detail)


def test_a_rollback_is_refused(server):
    staff = server.enrolled("staff")
    trust = load_demo_key(server.data_dir, "trust")
    publish_next(server, trust)
    assert staff.keyring().version == 2
    db = server.db()
    with db.write() as s:  # a hostile server (or a restored backup) serves version 1 again
        s.execute("DELETE FROM keyrings WHERE version = 2")
    db.close()
    with pytest.raises(keyring.KeyringError) as raised:
        staff.keyring()
    assert raised.value.code == "keyring_rollback"
    assert staff.accepted_payload().version == 2


def test_a_keyring_for_another_school_is_refused():
    trust = keyfiles.new_key()
    payload = keyring.KeyringPayload(
        v=1, school_id=uuid.uuid4(), school_name="A", version=1, issued_at="", recipients=[], contacts=[]
    )
    with pytest.raises(keyring.KeyringError) as raised:
        keyring.verify(keyring.sign(payload, trust), public_bytes(trust.public_key()), uuid.uuid4())
    assert raised.value.code == "keyring_invalid"


def test_a_trust_key_is_one_schools_only(server):
    """A device pins its school by the trust key: a second school with the same one is refused, so no
    code of one can enrol a device into the other's keyring."""
    db = server.db()
    try:
        trust = public_bytes(server.demo_key("trust").public_key())
        with pytest.raises(Refused) as raised:
            schools.create_school(db, "A copy of the demo school", trust)
        assert raised.value.code == "conflict" and "already has that trust key" in raised.value.detail
        schools.create_school(db, "Its own trust key", public_bytes(keyfiles.new_key().public_key()))
    finally:
        db.close()
