"""Recipient keys made on a team member's own device: proposed through `POST /api/v1/recipient-keys`,
put in the next keyring draft (one entry per key), sealed to once the trust key signs; in the demo
school, signed by the server's DEMO-ONLY trust key at once. Through a real server process."""

from __future__ import annotations

import base64
import json

import httpx
import msgspec
import pytest

from server import devices, keyrings, schools
from server.demo import DEMO_KEYS_PER_PERSON
from sync import envelope, keyfiles, keyring
from sync.client import ApiError, Client
from sync.requests import sign_request
from sync.signing import key_id, public_bytes
from tests.test_cli import PASSPHRASE, lantern
from tests.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES  # the server suite: on SQLite and on PostgreSQL

NOTE = b"Child said: nobody picks me up (unique-marker-41bd)"


def payload_of(signed: keyring.SignedKeyring) -> keyring.KeyringPayload:
    return msgspec.json.decode(signed.payload, type=keyring.KeyringPayload)



def test_a_real_school_signs_proposed_keys_itself_one_entry_per_key(server, tmp_path):
    """A school that is not the demo, on the same server: proposals wait for the trust key holder."""
    trust_file = tmp_path / "trust.pem"
    lantern("trust", "init", "--out", str(trust_file))
    admin_key = keyfiles.new_key()
    db = server.db()
    try:
        school = schools.create_school(db, "Hill Top Primary", public_bytes(keyfiles.load(
            trust_file, PASSPHRASE["LANTERN_PASSPHRASE"].encode()).public_key()))
        asha = schools.add_person(db, school, "Asha (DSL)", "dsl", public_bytes(admin_key.public_key()))
        deputy = schools.add_person(db, school, "Dev (deputy)", "deputy_dsl")
        schools.add_contact(db, school, "dsl", "Asha's phone", "01234 567890")
        trust = keyfiles.load(trust_file, PASSPHRASE["LANTERN_PASSPHRASE"].encode())
        keyrings.publish(db, school, keyring.sign(keyrings.draft(db, school), trust))
        codes = [devices.issue_code(db, p).text() for p in (asha, asha, deputy)]
        staff_code = devices.issue_code(db, schools.add_person(db, school, "Tom", "staff")).text()
    finally:
        db.close()
    phone, laptop, deputy_phone, tom = (Client(server.url) for _ in range(4))
    for client, code in zip((phone, laptop, deputy_phone, tom), (*codes, staff_code)):
        client.enrol(code)
    phone_key, laptop_key, deputy_key = keyfiles.new_key(), keyfiles.new_key(), keyfiles.new_key()

    # Proposed, not signed: the keyring stays as it was, and nothing is sealed to the new keys.
    state = phone.register_recipient_key(public_bytes(phone_key.public_key()))
    assert state.key_id == key_id(phone_key.public_key()).hex() and state.in_keyring is False
    laptop.register_recipient_key(public_bytes(laptop_key.public_key()))
    deputy_phone.register_recipient_key(public_bytes(deputy_key.public_key()))
    assert tom.keyring().version == 1
    listed = lantern(*server.admin, "person", "list", "--school", str(school)).stdout
    assert "recipient key; 2 keys made on devices, 2 not yet in the keyring" in listed
    assert "1 key made on devices, 1 not yet in the keyring" in listed

    # The admin's draft holds every key, one entry each, with its person; the trust key holder signs.
    draft = tmp_path / "draft.json"
    lantern(*server.admin, "keyring", "draft", "--school", str(school), "--out", str(draft))
    entries = json.loads(draft.read_text())["recipients"]
    assert [(e["name"], e["key_id"]) for e in entries] == [
        ("Asha (DSL)", key_id(admin_key.public_key()).hex()),
        ("Asha (DSL)", key_id(phone_key.public_key()).hex()),
        ("Asha (DSL)", key_id(laptop_key.public_key()).hex()),
        ("Dev (deputy)", key_id(deputy_key.public_key()).hex()),
    ]
    assert len({e["person_id"] for e in entries}) == 2
    signed = lantern("trust", "sign", "--key", str(trust_file), str(draft), "--out", str(tmp_path / "s.json")).stdout
    laptop_id = key_id(laptop_key.public_key()).hex()
    assert f"(key {laptop_id[:4]} {laptop_id[4:8]} {laptop_id[8:12]} {laptop_id[12:16]})" in signed
    lantern(*server.admin, "keyring", "publish", "--school", str(school), str(tmp_path / "s.json"))

    # A note is now sealed to every key of the DSL and the deputy; each device opens it with its own.
    assert tom.keyring().version == 2
    tom.push([tom.seal(NOTE)])
    for client, key in ((phone, phone_key), (laptop, laptop_key), (deputy_phone, deputy_key), (laptop, admin_key)):
        assert [o.content for o in client.open_all(key)] == [NOTE]
    again = phone.register_recipient_key(public_bytes(phone_key.public_key()))  # the same key: a no-op
    assert again.in_keyring is True
    assert server.query("SELECT COUNT(*) FROM recipient_keys") == [(3,)]

    # A revoked device's key leaves the next draft; a device that makes a new key replaces its old one.
    lantern(*server.admin, "device", "revoke", key_id(laptop.device.public_key()).hex())
    newer = keyfiles.new_key()
    phone.register_recipient_key(public_bytes(newer.public_key()))
    lantern(*server.admin, "keyring", "draft", "--school", str(school), "--out", str(draft))
    assert [e["key_id"] for e in json.loads(draft.read_text())["recipients"]] == [
        key_id(admin_key.public_key()).hex(), key_id(newer.public_key()).hex(), key_id(deputy_key.public_key()).hex(),
    ]
    for client in (phone, laptop, deputy_phone, tom):
        client.close()


def test_who_may_propose_a_key_and_what_it_must_be(server):
    staff, dsl, deputy = server.enrolled("staff"), server.enrolled("dsl"), server.enrolled("deputy_dsl")
    with pytest.raises(ApiError) as raised:
        staff.register_recipient_key(public_bytes(keyfiles.new_key().public_key()))
    assert (raised.value.status, raised.value.code) == (403, "not_team")

    taken = keyfiles.new_key()
    dsl.register_recipient_key(public_bytes(taken.public_key()))
    demo_dsl_key = public_bytes(server.demo_key("dsl").public_key())
    for public, status, code in (
        (b"\x04" + bytes(64), 400, "invalid_key"),  # not on the curve
        (public_bytes(taken.public_key()), 409, "conflict"),  # another device's key
        (demo_dsl_key, 409, "conflict"),  # a key the keyring already has
    ):
        with pytest.raises(ApiError) as raised:
            deputy.register_recipient_key(public)
        assert (raised.value.status, raised.value.code) == (status, code)

    for body in ({"public_key": "AAAA"}, {}, {"public_key": "x" * 88}, {"public_key": None},
                 {"public_key": base64.b64encode(demo_dsl_key).decode(), "extra": 1}):
        content = json.dumps(body).encode()
        headers = {"content-type": "application/json",
                   **sign_request(deputy.device, "POST", "/api/v1/recipient-keys", content)}
        answer = httpx.post(server.url + "/api/v1/recipient-keys", content=content, headers=headers)
        assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request"), body
    answer = httpx.post(server.url + "/api/v1/recipient-keys", json={"public_key": "AAAA"})
    assert (answer.status_code, answer.json()["error"]) == (401, "unauthenticated")
    assert server.query("SELECT COUNT(*) FROM recipient_keys") == [(1,)]


def test_the_demo_school_signs_a_proposed_key_at_once_with_its_demo_trust_key(server):
    staff = server.enrolled("staff")
    before = staff.accepted_payload()
    dsl = server.enrolled("dsl")
    browser_key = keyfiles.new_key()
    state = dsl.register_recipient_key(public_bytes(browser_key.public_key()))
    assert state.in_keyring is True

    # Checked by the staff device exactly as any keyring: signed by the trust key it pinned.
    after = staff.keyring()
    assert after.version == before.version + 1
    dsl_person = next(r.person_id for r in before.recipients if r.role == "dsl")
    dsl_keys = [r for r in after.recipients if r.person_id == dsl_person]
    assert [r.public_key for r in dsl_keys] == [
        public_bytes(server.demo_key("dsl").public_key()), public_bytes(browser_key.public_key()),
    ]
    assert {r.role for r in dsl_keys} == {"dsl"} and after.contacts == before.contacts

    # Sealed to both of the DSL's keys: the browser's and the one on the server's disk open it.
    staff.push([staff.seal(NOTE, urgent=True)])
    assert [o.content for o in dsl.open_all(browser_key)] == [NOTE]
    assert [o.content for o in dsl.open_all(server.demo_key("dsl"))] == [NOTE]

    # DEMO ONLY: anyone given a demo DSL code adds a browser; the demo keeps the newest few keys.
    newest = []
    for _ in range(DEMO_KEYS_PER_PERSON + 2):
        key = keyfiles.new_key()
        server.enrolled("dsl").register_recipient_key(public_bytes(key.public_key()))
        newest.append(key)
    held = staff.keyring()
    dsl_keys = [r.public_key for r in held.recipients if r.person_id == dsl_person]
    assert dsl_keys == [public_bytes(server.demo_key("dsl").public_key())] + [
        public_bytes(k.public_key()) for k in newest[-DEMO_KEYS_PER_PERSON:]
    ]
    assert len(keyring.concern_recipients(held)) <= envelope.MAX_RECIPIENTS


def test_the_demo_lists_the_dsl_phone_for_the_urgent_call_list(server):
    contacts = server.enrolled("staff").accepted_payload().contacts
    assert [c.kind for c in contacts] == ["emergency", "police", "front_door", "out_of_hours", "lado", "dsl"]
    assert "DEMO ONLY" in contacts[-1].name and contacts[-1].phone.startswith("01632 960")


def test_a_draft_the_team_could_not_be_sealed_to_is_refused(tmp_path):
    from server.db import open_database
    from server.errors import Refused

    db = open_database(tmp_path / "lantern.db")
    try:
        school = schools.create_school(db, "Big School", public_bytes(keyfiles.new_key().public_key()))
        for i in range(envelope.MAX_RECIPIENTS + 1):
            schools.add_person(db, school, f"Deputy {i}", "deputy_dsl", public_bytes(keyfiles.new_key().public_key()))
        with pytest.raises(Refused) as raised:
            keyrings.draft(db, school)
        assert raised.value.code == "invalid_request" and "revoke" in raised.value.detail
    finally:
        db.close()
