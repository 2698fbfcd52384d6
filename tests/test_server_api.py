"""The thin path through a real server process and a real SQLite file, driven by the Python client."""

from __future__ import annotations

import sqlite3

import httpx
import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from sync import envelope, wire
from sync.client import ApiError
from sync.ids import uuid7


@pytest.fixture
def device(server):
    """An enrolled staff device: its key, and the demo school as it was told on enrolment."""
    key = ec.generate_private_key(ec.SECP256R1())
    with server.client() as c:
        enrolment = c.demo_enrol(envelope.public_bytes(key.public_key()))
    return key, enrolment


def seal_note(key, enrolment, text: bytes, *, urgent=False, record_id=None) -> bytes:
    team = [envelope.public_key_from_bytes(r.public_key) for r in enrolment.keyring.recipients]
    return envelope.seal(
        text, school_id=enrolment.school.id, record_id=record_id or uuid7(), recipients=team, author=key, urgent=urgent
    )


def test_health_and_openapi(server):
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    schema = httpx.get(server.url + "/schema/openapi.json").json()
    for path in ("/healthz", "/api/v1/envelopes", "/api/v1/demo/enrol", "/api/v1/schools/{school_id}/envelopes"):
        assert path in schema["paths"]


def test_demo_school_is_marked_demo_only(server, device):
    _, enrolment = device
    assert enrolment.school.demo and "DEMO ONLY" in enrolment.school.name
    assert {r.role for r in enrolment.keyring.recipients} == {"dsl", "deputy_dsl"}
    assert all("DEMO ONLY" in r.name for r in enrolment.keyring.recipients)
    assert all(p.name.startswith("DEMO-ONLY-") for p in (server.data_dir / "DEMO-ONLY-keys").glob("*.pem"))


def test_note_travels_to_the_dsl_and_the_database_holds_no_plaintext(server, device):
    key, enrolment = device
    secret = b"Child said: my uncle hurts me when mum is out (unique-marker-7f3a)"
    with server.client() as c:
        result = c.push([seal_note(key, enrolment, secret, urgent=True)])
        assert [r.status for r in result.results] == ["stored"]
        for role in ("dsl", "deputy_dsl"):
            opened = list(c.open_all(enrolment.school.id, server.demo_key(role)))
            assert [o.content for o in opened] == [secret]
            assert opened[0].header.urgent
    for path in server.data_dir.glob("lantern.db*"):  # the database, its WAL and shared memory
        assert b"unique-marker-7f3a" not in path.read_bytes()
        assert b"uncle" not in path.read_bytes()


def test_same_bytes_again_is_a_no_op_and_other_bytes_a_conflict(server, device):
    key, enrolment = device
    record_id = uuid7()
    first = seal_note(key, enrolment, b"first", record_id=record_id)
    with server.client() as c:
        stored = c.push([first]).results[0]
        again = c.push([first]).results[0]
        assert (again.status, again.seq) == ("duplicate", stored.seq)
        with pytest.raises(ApiError) as raised:
            c.push([seal_note(key, enrolment, b"other", record_id=record_id)])
        assert (raised.value.status, raised.value.code) == (409, "conflict")
        pulled = list(c.pull_all(enrolment.school.id, envelope.key_id(server.demo_key().public_key())))
    assert [p.data for p in pulled] == [first]


def test_a_batch_with_one_bad_envelope_stores_nothing(server, device):
    key, enrolment = device
    good = seal_note(key, enrolment, b"good")
    bad = bytearray(seal_note(key, enrolment, b"bad"))
    bad[-1] ^= 1
    with server.client() as c:
        with pytest.raises(ApiError) as raised:
            c.push([good, bytes(bad)])
        assert (raised.value.status, raised.value.code) == (400, "invalid_envelope")
        assert "envelope 1: bad_signature" in raised.value.detail
        assert c.pull(enrolment.school.id, envelope.key_id(server.demo_key().public_key())).envelopes == []


def test_an_envelope_from_a_device_that_is_not_enrolled_is_refused(server, device):
    _, enrolment = device
    stranger = ec.generate_private_key(ec.SECP256R1())
    with server.client() as c, pytest.raises(ApiError) as raised:
        c.push([seal_note(stranger, enrolment, b"forged")])
    assert (raised.value.status, raised.value.code) == (403, "unknown_device")


def test_pull_pages_in_server_order(server, device):
    key, enrolment = device
    notes = [seal_note(key, enrolment, f"note {i}".encode()) for i in range(5)]
    dsl = envelope.key_id(server.demo_key().public_key())
    with server.client() as c:
        c.push(notes)
        page = c.pull(enrolment.school.id, dsl, limit=2)
        assert (len(page.envelopes), page.more) == (2, True)
        assert [e.data for e in c.pull_all(enrolment.school.id, dsl)] == notes
        last = c.pull(enrolment.school.id, dsl, after=page.after, limit=3)
        assert (len(last.envelopes), last.more) == (3, False)


BAD_REQUESTS = [
    ("POST", "/api/v1/envelopes", b"not json", 400, "bad_request"),
    ("POST", "/api/v1/envelopes", b'{"envelopes": []}', 400, "invalid_request"),
    ("POST", "/api/v1/envelopes", b'{"envelopes": ["!!!"]}', 400, "invalid_request"),
    ("POST", "/api/v1/envelopes", b'{"envelopes": ["AAAA"], "extra": 1}', 400, "invalid_request"),
    ("POST", "/api/v1/envelopes", b'{"envelopes": ["TE5UTgE="]}', 400, "invalid_envelope"),
    ("POST", "/api/v1/demo/enrol", b'{"device_public_key": "AAAA"}', 400, "invalid_request"),
    ("POST", "/api/v1/demo/enrol", msgspec.json.encode({"device_public_key": b"\x04" + bytes(64)}), 400, "invalid_key"),
    ("GET", "/api/v1/schools/not-a-uuid/keyring", b"", 404, "not_found"),
    ("GET", "/api/v1/schools/0190a000-0000-7000-8000-000000000000/keyring", b"", 404, "unknown_school"),
    ("GET", "/api/v1/schools/0190a000-0000-7000-8000-000000000000/envelopes?recipient=zz", b"", 400, "invalid_request"),
    ("DELETE", "/api/v1/envelopes", b"", 405, "method_not_allowed"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), BAD_REQUESTS)
def test_bad_input_gets_a_clear_4xx(server, device, method, path, body, status, code):
    key, enrolment = device
    with server.client() as c:
        c.push([seal_note(key, enrolment, b"already stored")])
    before = sqlite3.connect(server.database).execute("SELECT seq, data FROM envelopes").fetchall()
    response = httpx.request(method, server.url + path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    error = msgspec.json.decode(response.content, type=wire.Error)
    assert error.error == code
    assert "Traceback" not in response.text
    assert sqlite3.connect(server.database).execute("SELECT seq, data FROM envelopes").fetchall() == before


def test_oversized_body_is_refused(server):
    response = httpx.post(server.url + "/api/v1/envelopes", content=b"x" * (wire.MAX_BODY + 1))
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


def test_nothing_is_lost_across_a_restart(tmp_path, device, server):
    from tests.conftest import start_server, stop_server

    key, enrolment = device
    note = seal_note(key, enrolment, b"kept")
    with server.client() as c:
        c.push([note])
    server.process.kill()  # SIGKILL: no chance to flush anything the commit had not already made durable
    server.process.wait()
    restarted = start_server(server.data_dir)
    try:
        with restarted.client() as c:
            assert [e.data for e in c.pull_all(enrolment.school.id, envelope.key_id(restarted.demo_key().public_key()))] == [note]
            assert c.demo_enrol(envelope.public_bytes(key.public_key())).school.id == enrolment.school.id
    finally:
        stop_server(restarted)
