"""Sync through a real server process and a real SQLite file, driven by enrolled Python clients."""

from __future__ import annotations


import httpx
import msgspec
import pytest

from server import keyrings, schools
from sync import envelope, keyfiles, keyring, wire
from sync.client import ApiError, Status
from sync.ids import uuid7
from sync.signing import public_bytes
from tests.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES  # the server suite: on SQLite and on PostgreSQL


def test_health_and_openapi(server):
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    schema = httpx.get(server.url + "/schema/openapi.json").json()
    for path in ("/healthz", "/api/v1/envelopes", "/api/v1/enrol", "/api/v1/keyring", "/api/v1/status"):
        assert path in schema["paths"]


def test_demo_school_is_marked_demo_only(server):
    staff = server.enrolled("staff")
    payload = staff.accepted_payload()
    assert "DEMO ONLY" in payload.school_name
    assert {r.role for r in payload.recipients} == {"dsl", "deputy_dsl", "headteacher", "chair_of_governors"}
    assert all("DEMO ONLY" in r.name for r in payload.recipients)
    assert [c.phone for c in payload.contacts][:2] == ["999", "101"]
    keys = sorted(p.name for p in (server.data_dir / "DEMO-ONLY-keys").glob("*.pem"))
    assert keys == [
        "DEMO-ONLY-chair_of_governors.pem", "DEMO-ONLY-deputy_dsl.pem", "DEMO-ONLY-dsl.pem",
        "DEMO-ONLY-headteacher.pem", "DEMO-ONLY-trust.pem",
    ]


def test_note_travels_to_the_team_and_the_database_holds_no_plaintext(server):
    staff = server.enrolled("staff")
    secret = b"Child said: my uncle hurts me when mum is out (unique-marker-7f3a)"
    result = staff.push([staff.seal(secret, urgent=True)])
    assert [r.status for r in result.results] == ["stored"]
    for role in ("dsl", "deputy_dsl"):
        member = server.enrolled(role)
        opened = list(member.open_all(server.demo_key(role)))
        assert [o.content for o in opened] == [secret]
        assert opened[0].header.urgent
    stored = server.stored()
    assert str(server.demo_school_id()).encode() in stored  # what it searches holds the database's rows
    assert b"unique-marker-7f3a" not in stored
    assert b"uncle" not in stored


def test_a_staff_device_pulls_nothing(server):
    staff = server.enrolled("staff")
    staff.push([staff.seal(b"for the team")])
    assert staff.pull().envelopes == []


def test_same_bytes_again_is_a_no_op_and_other_bytes_a_conflict(server):
    staff = server.enrolled("staff")
    record_id = uuid7()
    first = staff.seal(b"first", record_id=record_id)
    stored = staff.push([first]).results[0]
    again = staff.push([first]).results[0]
    assert (again.status, again.seq) == ("duplicate", stored.seq)
    with pytest.raises(ApiError) as raised:
        staff.push([staff.seal(b"other", record_id=record_id)])
    assert (raised.value.status, raised.value.code) == (409, "conflict")
    assert [p.data for p in server.enrolled("dsl").pull_all()] == [first]


def test_a_batch_with_one_bad_envelope_stores_nothing(server):
    staff = server.enrolled("staff")
    bad = bytearray(staff.seal(b"bad"))
    bad[-1] ^= 1
    with pytest.raises(ApiError) as raised:
        staff.push([staff.seal(b"good"), bytes(bad)])
    assert (raised.value.status, raised.value.code) == (400, "invalid_envelope")
    assert "envelope 1: bad_signature" in raised.value.detail
    assert server.enrolled("dsl").pull().envelopes == []


def test_an_envelope_signed_by_another_device_is_refused(server):
    alice, bob = server.enrolled("staff"), server.enrolled("staff")
    with pytest.raises(ApiError) as raised:
        alice.push([bob.seal(b"bob's note, sent by alice")])
    assert (raised.value.status, raised.value.code) == (403, "not_your_envelope")


def other_school(server):
    """A second school on the same server, with its own trust key, team and signed keyring."""
    db = server.db()
    try:
        trust = keyfiles.new_key()
        school_id = schools.create_school(db, "Other School", public_bytes(trust.public_key()))
        schools.add_person(db, school_id, "Other DSL", "dsl", public_bytes(keyfiles.new_key().public_key()))
        keyrings.publish(db, school_id, keyring.sign(keyrings.draft(db, school_id), trust))
        return school_id
    finally:
        db.close()


def test_another_schools_envelope_is_refused(server):
    mine = server.enrolled("staff")
    theirs = server.enrolled("staff", other_school(server))
    with pytest.raises(ApiError) as raised:
        # Sealed by my device, but addressed to the other school.
        mine.push([envelope.seal(b"x", school_id=theirs.school_id, record_id=uuid7(),
                                 recipients=[mine.device.public_key()], author=mine.device)])
    assert (raised.value.status, raised.value.code) == (403, "wrong_school")
    theirs.push([theirs.seal(b"their note")])
    assert server.enrolled("dsl").pull().envelopes == []



def test_a_shared_server_keeps_each_school_to_itself(server):
    """Two schools on one server, as a trust hosts them: the other school's DSL reads nothing of this
    one's, learns nothing of its records, and cannot say it opened one."""
    staff = server.enrolled("staff")
    (stored,) = staff.push([staff.seal(b"this school's note", urgent=True)]).results
    other_dsl = server.enrolled("dsl", other_school(server))
    assert other_dsl.pull().envelopes == []
    (status,) = other_dsl.status([stored.record_id]).values()
    assert not status.received  # told nothing of a record that is not its own
    with pytest.raises(ApiError) as raised:
        other_dsl.receipts([wire.Receipt(record_id=stored.record_id, proof=bytes(32))])
    assert (raised.value.status, raised.value.code) == (403, "not_a_recipient")
    with pytest.raises(ApiError) as raised:
        other_dsl.view_trail(stored.record_id)
    assert (raised.value.status, raised.value.code) == (403, "not_a_recipient")
    assert server.query("SELECT COUNT(*) FROM receipts") == [(0,)]
    (opened,) = server.enrolled("dsl").open_all(server.demo_key("dsl"))
    assert opened.content == b"this school's note"

def test_pull_pages_in_server_order(server):
    staff, dsl = server.enrolled("staff"), server.enrolled("dsl")
    notes = [staff.seal(f"note {i}".encode()) for i in range(5)]
    staff.push(notes)
    page = dsl.pull(limit=2)
    assert (len(page.envelopes), page.more) == (2, True)
    assert [e.data for e in dsl.pull_all()] == notes
    last = dsl.pull(after=page.after, limit=3)
    assert (len(last.envelopes), last.more) == (3, False)


def test_a_person_with_two_keys_pulls_each_envelope_once_in_server_order(server):
    """Each of a person's keys is read in its own range and merged: an envelope to both comes once, an
    envelope to either comes in its place, and no page skips or repeats one."""
    staff, dsl = server.enrolled("staff"), server.enrolled("dsl")
    second = keyfiles.new_key()
    dsl.register_recipient_key(public_bytes(second.public_key()))  # the demo signs it in at once
    first = server.demo_key("dsl").public_key()
    to = [[first], [second.public_key()], [first, second.public_key()], [second.public_key()], [first], [first, second.public_key()]]
    notes = [envelope.seal(f"note {i}".encode(), school_id=staff.school_id, record_id=uuid7(), recipients=keys,
                           author=staff.device) for i, keys in enumerate(to)]
    staff.push(notes)
    for limit in (1, 2, 4, 100):
        pulled, after, more = [], 0, True
        while more:
            page = dsl.pull(after=after, limit=limit)
            assert len(page.envelopes) <= limit
            pulled += page.envelopes
            after, more = page.after, page.more
        assert [e.data for e in pulled] == notes
        assert [e.seq for e in pulled] == sorted({e.seq for e in pulled})
    assert dsl.pull(after=after).envelopes == [] and dsl.pull(after=after).after == after


def test_the_author_learns_received_then_opened_and_nothing_more(server):
    staff, dsl = server.enrolled("staff"), server.enrolled("dsl")
    note = staff.seal(b"a note")
    record_id = envelope.parse(note).record_id
    unknown = uuid7()
    assert staff.status([record_id])[record_id] == Status(record_id, received=False, opened=False, server_says_opened=False)
    staff.push([note])
    # Sealed only to the demo school's keys on the server's disk: no team device can open it yet.
    assert staff.status([record_id])[record_id] == Status(
        record_id, received=True, opened=False, server_says_opened=False, readable=False,
    )
    with pytest.raises(ApiError) as raised:
        staff.receipts([wire.Receipt(record_id=record_id, proof=bytes(32))])  # the author is not a recipient
    assert (raised.value.status, raised.value.code) == (403, "not_a_recipient")
    dsl.acknowledge(dsl.open_all(server.demo_key("dsl")))
    assert staff.status([record_id, unknown]) == {
        record_id: Status(record_id, received=True, opened=True, server_says_opened=True, readable=True),
        unknown: Status(unknown, received=False, opened=False, server_says_opened=False),
    }
    # Another device cannot learn about this author's notes.
    other = server.enrolled("staff")
    assert other.status([record_id])[record_id].received is False


def test_only_the_team_looks_up_device_keys_and_whose_they_are(server):
    staff = server.client()
    person = staff.enrol(server.code_for("staff")).person
    with pytest.raises(ApiError) as raised:
        staff.device_key(envelope.key_id(staff.device.public_key()))
    assert (raised.value.status, raised.value.code) == (403, "not_team")
    dsl = server.enrolled("dsl")
    found = dsl.lookup_device(envelope.key_id(staff.device.public_key()))
    assert found.public_key == public_bytes(staff.device.public_key())
    assert (found.person_id, found.name) == (person.id, person.name)
    with pytest.raises(ApiError) as raised:
        dsl.lookup_device(bytes(32))
    assert (raised.value.status, raised.value.code) == (404, "not_found")


BAD_REQUESTS = [
    ("POST", "/api/v1/enrol", b"not json", 400, "bad_request"),
    ("POST", "/api/v1/enrol", b'{"code": "x"}', 400, "invalid_request"),
    ("POST", "/api/v1/enrol", msgspec.json.encode({"code": "AAAA", "device_public_key": b"\x04" + bytes(64), "proof": bytes(64), "approval": bytes(32)}), 400, "enrolment_code_invalid"),
    ("POST", "/api/v1/enrol", msgspec.json.encode({"code": "A" * 16, "device_public_key": b"\x04" + bytes(64), "proof": bytes(64), "approval": bytes(32)}), 400, "invalid_key"),
    ("POST", "/api/v1/envelopes", b'{"envelopes": ["AAAA"]}', 401, "unauthenticated"),
    ("GET", "/api/v1/envelopes", b"", 401, "unauthenticated"),
    ("GET", "/api/v1/keyring", b"", 401, "unauthenticated"),
    ("DELETE", "/api/v1/envelopes", b"", 405, "method_not_allowed"),
    ("GET", "/api/v1/nothing-here", b"", 404, "not_found"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), BAD_REQUESTS)
def test_bad_input_gets_a_clear_4xx(server, method, path, body, status, code):
    staff = server.enrolled("staff")
    staff.push([staff.seal(b"already stored")])
    before = server.query("SELECT seq, data FROM envelopes")
    response = httpx.request(method, server.url + path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    error = msgspec.json.decode(response.content, type=wire.Error)
    assert error.error == code
    assert "Traceback" not in response.text
    assert server.query("SELECT seq, data FROM envelopes") == before


SIGNED_BAD_REQUESTS = [
    ("POST", "/api/v1/envelopes", b"not json", 400, "bad_request"),
    ("POST", "/api/v1/envelopes", b'{"envelopes": []}', 400, "invalid_request"),
    ("POST", "/api/v1/envelopes", b'{"envelopes": ["!!!"]}', 400, "invalid_request"),
    ("POST", "/api/v1/envelopes", b'{"envelopes": ["AAAA"], "extra": 1}', 400, "invalid_request"),
    ("POST", "/api/v1/envelopes", b'{"envelopes": ["TE5UTgE="]}', 400, "invalid_envelope"),
    ("GET", "/api/v1/envelopes?limit=0", b"", 400, "invalid_request"),
    ("GET", "/api/v1/envelopes?after=-1", b"", 400, "invalid_request"),
    ("GET", "/api/v1/devices/zz", b"", 400, "invalid_request"),
    ("POST", "/api/v1/status", b'{"record_ids": ["not-a-uuid"]}', 400, "invalid_request"),
    ("POST", "/api/v1/receipts", b'{"receipts": []}', 400, "invalid_request"),
    ("POST", "/api/v1/receipts", b'{"receipts": [{"record_id": "01890a5d-ac96-774b-bcce-b302099a8057", "proof": "AAAA"}]}', 400, "invalid_request"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), SIGNED_BAD_REQUESTS)
def test_bad_input_from_an_enrolled_device_gets_a_clear_4xx(server, method, path, body, status, code):
    from sync.requests import sign_request

    staff = server.enrolled("dsl")
    headers = {"content-type": "application/json", **sign_request(staff.device, method, path, body)}
    response = httpx.request(method, server.url + path, content=body, headers=headers)
    assert (response.status_code, response.json()["error"]) == (status, code)


def test_oversized_body_is_refused(server):
    response = httpx.post(server.url + "/api/v1/envelopes", content=b"x" * (wire.MAX_BODY + 1),
                          headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


def test_nothing_is_lost_across_a_sigkill(server):
    from tests.conftest import start_server, stop_server

    staff = server.enrolled("staff")
    note = staff.seal(b"kept")
    staff.push([note])
    server.process.kill()  # SIGKILL: no chance to flush anything the commit had not already made durable
    server.process.wait()
    restarted = start_server(server.data_dir)
    try:
        dsl = restarted.enrolled("dsl")
        assert [e.data for e in dsl.pull_all()] == [note]
    finally:
        stop_server(restarted)
