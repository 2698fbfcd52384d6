"""Codes issued from the trust key holder's app (docs/protocol.md, "Codes from the trust key holder's
app"), seen from the server: the device sends a token made from the code's secret, never the secret;
a team device lists the school's people and has a code's token kept for one of them; the device the
code sets up sends an approval the draft carries back, which only the secret's holder can check.
tests/browser/test_trust_key.py drives the same from the app."""

from __future__ import annotations

import uuid

import httpx
import msgspec
import pytest

from server import devices, school_setup, schools
from sync import codes, keyfiles, requests, signing
from sync.client import ApiError, Client
from sync.signing import public_bytes
from tests.test_trust_key_app import setup_file
from tests.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES  # the server suite: on SQLite and on PostgreSQL


def test_the_token_and_the_approval_are_one_way_and_apart():
    secret, device = bytes(range(10)), public_bytes(keyfiles.new_key().public_key())
    token = codes.token(secret)
    assert len(token) == 10 and token != secret and codes.decode_token(codes.encode_token(token)) == token
    approval = codes.approval(secret, device)
    assert len(approval) == 32 and approval[:10] != token
    assert codes.approval(secret, public_bytes(keyfiles.new_key().public_key())) != approval  # bound to the device
    assert codes.approval(bytes(10), device) != approval  # and to the secret


@pytest.fixture
def school(server):
    """A real (not demo) school with a DSL device and a member of staff with no device yet."""
    trust, school_id = keyfiles.new_key(), uuid.uuid4()
    db = server.db()
    try:
        school_setup.create(db, school_setup.read(setup_file(trust, school_id)))
        dsl_code = devices.issue_code(db, schools.add_person(db, school_id, "Asha (DSL)", "dsl")).text()
        tom = schools.add_person(db, school_id, "Tom", "staff")
    finally:
        db.close()
    dsl = Client(server.url)
    dsl.enrol(dsl_code, label="Asha's phone")
    return school_id, dsl, tom


def test_a_code_made_on_a_team_device_sets_up_a_device_whose_approval_only_it_can_check(server, school):
    school_id, dsl, tom = school
    assert [(p.name, p.role) for p in dsl.people()] == [("Asha (DSL)", "dsl"), ("Tom", "staff")]
    code = dsl.issue_code(tom)
    stored = server.query("SELECT secret_hash FROM enrolment_codes WHERE person_id = ?", str(tom))
    assert stored == [(codes.token_hash(code.token()),)]  # the token's hash: the server never had the secret

    tablet = Client(server.url)
    enrolment = tablet.enrol(code.text(), label="Tom's tablet")
    assert enrolment.person.id == tom and enrolment.school.id == school_id
    tablet_public = public_bytes(tablet.device.public_key())
    tablet_id = signing.key_id(tablet_public).hex()
    draft = dsl.keyring_draft()
    [source] = [d for d in draft.devices if d.key_id == tablet_id]
    assert source.public_key == tablet_public and source.enrolled_at
    assert source.approval == codes.approval(code.secret, tablet_public)
    # What the server was given cannot make it: the token is not the key of the approval's HMAC.
    assert codes.approval(code.token(), tablet_public) != source.approval


def test_a_device_enrolling_sends_the_token_so_the_secret_itself_is_refused(server):
    code = codes.parse_code(server.code_for("staff"))
    device = keyfiles.new_key()
    public = public_bytes(device.public_key())
    body = {"code": codes.encode_token(code.secret), "device_public_key": public,
            "proof": requests.enrol_proof(device, code.secret), "approval": codes.approval(code.secret, public)}
    answer = httpx.post(server.url + "/api/v1/enrol", content=msgspec.json.encode(body), headers={"content-type": "application/json"})
    assert (answer.status_code, answer.json()["error"]) == (400, "enrolment_code_invalid")
    without_approval = {k: v for k, v in body.items() if k != "approval"}
    answer = httpx.post(server.url + "/api/v1/enrol", content=msgspec.json.encode(without_approval), headers={"content-type": "application/json"})
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")
    Client(server.url).enrol(code.text())  # neither attempt spent it


def test_only_the_team_issues_codes_and_only_for_its_own_school(server, school):
    school_id, dsl, tom = school
    staff = server.enrolled("staff", school_id)
    for call in (staff.people, lambda: staff.issue_code(tom)):
        with pytest.raises(ApiError) as refused:
            call()
        assert (refused.value.status, refused.value.code) == (403, "not_team")
    db = server.db()
    try:
        elsewhere = schools.add_person(db, server.demo_school_id(), "Someone at the demo school", "staff")
    finally:
        db.close()
    with pytest.raises(ApiError) as refused:
        dsl.issue_code(elsewhere)
    assert (refused.value.status, refused.value.code) == (404, "not_found")
    with pytest.raises(ApiError) as refused:
        dsl.issue_code(tom, hours=100)
    assert (refused.value.status, refused.value.code) == (400, "invalid_request")
    assert server.query("SELECT COUNT(*) FROM enrolment_codes WHERE person_id IN (?, ?)", str(tom), str(elsewhere)) == [(0,)]
