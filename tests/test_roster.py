"""The child roster (docs/protocol.md, "The roster"): each device registers a roster key, the DSL
publishes the roster sealed to those keys, each device fetches only the envelope sealed to its own,
and the server keeps nothing it can read. Through a real server process and its real SQLite file."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
import pytest

from server import devices, keyrings, schools
from sync import envelope, keyfiles, keyring, wire
from sync.client import ApiError
from sync.ids import uuid7
from sync.requests import sign_request
from sync.signing import key_id, public_bytes
from tests.conftest import BOTH_DATABASES, start_server, stop_server

pytestmark = BOTH_DATABASES  # the server suite: on SQLite and on PostgreSQL

CHILDREN = [
    {"id": "A123456789012", "name": "Zephyrine Quillfeather", "preferred": "Zeph", "dob": "2017-03-04", "year": "4", "group": "4B"},
    {"id": str(uuid.uuid4()), "name": "Barnaby Oddlestone", "preferred": "", "dob": "", "year": "", "group": ""},
]


def roster_content(version: int, children=CHILDREN) -> bytes:
    return json.dumps({
        "v": 1, "type": "roster", "version": version, "issued_at": "2026-11-26T10:00:00Z", "children": children,
    }).encode()


def with_roster_key(client):
    key = keyfiles.new_key()
    state = client.register_roster_key(public_bytes(key.public_key()))
    assert state.key_id == key_id(key.public_key()).hex()
    return key


def refused(call) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value


def roster_tables(server) -> list:
    return [
        server.query("SELECT * FROM rosters ORDER BY school_id"),
        server.query("SELECT roster_key_id, version, data FROM roster_envelopes ORDER BY roster_key_id"),
        server.query("SELECT key_id, device_key_id FROM roster_keys ORDER BY key_id"),
    ]


def test_the_dsl_publishes_and_each_device_opens_only_its_own(server):
    dsl, staff, tablet = server.enrolled("dsl"), server.enrolled("staff"), server.enrolled("staff")
    dsl_key, staff_key, tablet_key = (with_roster_key(c) for c in (dsl, staff, tablet))
    # Nothing published yet: nobody has a roster, and every device lacks it.
    assert refused(staff.roster).code == "no_roster"
    missing = dsl.roster_missing()
    assert missing.version == 0
    assert {k.key_id for k in missing.keys} == {key_id(k.public_key()).hex() for k in (dsl_key, staff_key, tablet_key)}

    # The DSL seals version 1 to itself and the staff device only (the tablet is "enrolled later").
    keys = [public_bytes(k.public_key()) for k in (dsl_key, staff_key)]
    published = dsl.publish_roster(1, dsl.seal_roster(roster_content(1), keys))
    assert (published.version, published.stored) == (1, 2)

    opened = staff.open_roster(staff_key)
    assert json.loads(opened.content)["children"][0]["name"] == "Zephyrine Quillfeather"
    assert json.loads(dsl.open_roster(dsl_key).content)["version"] == 1
    # The tablet's key has no envelope: it is what the DSL's app asks for at its next sync.
    assert refused(tablet.roster).code == "no_roster"
    missing = dsl.roster_missing()
    assert missing.version == 1
    assert [k.key_id for k in missing.keys] == [key_id(tablet_key.public_key()).hex()]
    assert missing.keys[0].public_key == public_bytes(tablet_key.public_key())

    # The same version again, sealed to the tablet: it gets it, and nobody lacks it any more.
    published = dsl.publish_roster(1, dsl.seal_roster(roster_content(1), [missing.keys[0].public_key]))
    assert published.stored == 3
    assert json.loads(tablet.open_roster(tablet_key).content)["children"][1]["name"] == "Barnaby Oddlestone"
    assert dsl.roster_missing().keys == []

    # Each device's envelope is sealed to its own key: the staff device's is not the tablet's, and
    # another device's key cannot open it.
    held = staff.roster()
    with pytest.raises(envelope.EnvelopeError) as caught:
        envelope.open(held.envelope, recipient=tablet_key, author=envelope.public_key_from_bytes(held.author_public_key))
    assert caught.value.code == "not_a_recipient"
    assert held.author_public_key == public_bytes(dsl.device.public_key())

    # A newer version replaces each device's envelope; the server keeps one per roster key.
    all_keys = [public_bytes(k.public_key()) for k in (dsl_key, staff_key, tablet_key)]
    dsl.publish_roster(2, dsl.seal_roster(roster_content(2, CHILDREN[:1]), all_keys))
    assert json.loads(staff.open_roster(staff_key).content)["version"] == 2
    assert staff.roster().version == 2
    assert server.query("SELECT COUNT(*), MIN(version) FROM roster_envelopes") == [(3, 2)]


def test_more_than_sixteen_devices_get_one_envelope_per_group(tmp_path):
    server = start_server(tmp_path / "data", env={"LANTERN_ENROL_PER_MINUTE": "100"})
    try:
        sixteen_and_one(server)
    finally:
        stop_server(server)


def sixteen_and_one(server):
    dsl = server.enrolled("dsl")
    clients = [server.enrolled("staff") for _ in range(17)]
    keys = [with_roster_key(c) for c in clients]
    sealed = dsl.seal_roster(roster_content(1), [public_bytes(k.public_key()) for k in keys])
    assert len(sealed) == 2
    assert dsl.publish_roster(1, sealed).stored == 17
    for client, key in zip(clients[15:], keys[15:]):
        assert json.loads(client.open_roster(key).content)["version"] == 1


def test_a_new_roster_key_replaces_the_old_and_its_envelope(server):
    dsl, staff = server.enrolled("dsl"), server.enrolled("staff")
    old = with_roster_key(staff)
    assert staff.register_roster_key(public_bytes(old.public_key())).key_id == key_id(old.public_key()).hex()  # no-op
    dsl.publish_roster(1, dsl.seal_roster(roster_content(1), [public_bytes(old.public_key())]))
    assert staff.roster().version == 1
    new = with_roster_key(staff)  # the device's storage was cleared: a new key
    assert refused(staff.roster).code == "no_roster"
    assert [k.key_id for k in dsl.roster_missing().keys] == [key_id(new.public_key()).hex()]
    # Another device cannot take a key that is already registered.
    assert refused(lambda: dsl.register_roster_key(public_bytes(new.public_key()))).code == "conflict"


def test_refusals_change_nothing(server):
    dsl, deputy, staff = server.enrolled("dsl"), server.enrolled("deputy_dsl"), server.enrolled("staff")
    head = server.enrolled("headteacher")
    staff_key = with_roster_key(staff)
    keys = [public_bytes(staff_key.public_key())]
    dsl.publish_roster(2, dsl.seal_roster(roster_content(2), keys))
    before = roster_tables(server)

    # Only the DSL and deputies publish, and see who lacks the roster.
    for who in (staff, head):
        assert refused(lambda: who.publish_roster(3, who.seal_roster(roster_content(3), keys))).status == 403
        error = refused(lambda: who.publish_roster(3, who.seal_roster(roster_content(3), keys)))
        assert (error.status, error.code) == (403, "not_dsl")
        assert refused(who.roster_missing).code == "not_dsl"
    # An older version than the school's.
    error = refused(lambda: deputy.publish_roster(1, deputy.seal_roster(roster_content(1), keys)))
    assert (error.status, error.code) == (409, "roster_outdated")
    # Another school's envelope.
    other = envelope.seal(roster_content(3), school_id=uuid.uuid4(), record_id=uuid7(),
                          recipients=[staff_key.public_key()], author=dsl.device)
    error = refused(lambda: dsl.publish_roster(3, [other]))
    assert (error.status, error.code) == (403, "wrong_school")
    # A broken signature, and an envelope signed by another device, even in a batch with a good one.
    good = dsl.seal_roster(roster_content(3), keys)[0]
    bad = good[:-1] + bytes([good[-1] ^ 1])
    error = refused(lambda: dsl.publish_roster(3, [good, bad]))
    assert (error.status, error.code, error.detail) == (400, "invalid_envelope", "envelope 1: bad_signature")
    error = refused(lambda: deputy.publish_roster(3, [good]))
    assert (error.status, error.code) == (403, "not_your_envelope")
    # Over the roster envelope's size limit (a 1 MiB bucket), and not an envelope at all.
    huge = envelope.seal(b"x" * (600 * 1024), school_id=dsl.school_id, record_id=uuid7(),
                         recipients=[staff_key.public_key()], author=dsl.device)
    assert len(huge) > wire.MAX_ROSTER_ENVELOPE
    error = refused(lambda: dsl.publish_roster(3, [huge]))
    assert (error.status, error.code) == (400, "invalid_request")
    error = refused(lambda: dsl.publish_roster(3, [b"LNTN not an envelope"]))
    assert (error.status, error.code) == (400, "invalid_envelope")
    assert roster_tables(server) == before
    assert staff.roster().version == 2


def test_bad_input_is_a_4xx_with_a_code_never_a_500(server):
    dsl = server.enrolled("dsl")

    def send(method: str, path: str, body: bytes, content_type: str = "application/json"):
        headers = {"content-type": content_type} | sign_request(dsl.device, method, path, body)
        return httpx.request(method, server.url + path, content=body, headers=headers)

    not_a_point = base64.b64encode(b"\x04" + b"\x01" * 64).decode()
    cases = [
        ("PUT", "/api/v1/roster-key", b"{", 400, "bad_request"),
        ("PUT", "/api/v1/roster-key", b"{}", 400, "invalid_request"),
        ("PUT", "/api/v1/roster-key", json.dumps({"public_key": not_a_point}).encode(), 400, "invalid_key"),
        ("PUT", "/api/v1/roster-key", json.dumps({"public_key": "AAAA"}).encode(), 400, "invalid_request"),
        ("PUT", "/api/v1/roster-key", json.dumps({"public_key": not_a_point, "x": 1}).encode(), 400, "invalid_request"),
        ("POST", "/api/v1/roster", json.dumps({"version": 1, "envelopes": []}).encode(), 400, "invalid_request"),
        ("POST", "/api/v1/roster", json.dumps({"version": 0, "envelopes": ["AAAA"]}).encode(), 400, "invalid_request"),
        ("POST", "/api/v1/roster", json.dumps({"version": 2**63, "envelopes": ["AAAA"]}).encode(), 400, "invalid_request"),
        ("POST", "/api/v1/roster", json.dumps({"version": 1, "envelopes": ["not base64!"]}).encode(), 400, "invalid_request"),
        ("POST", "/api/v1/roster", json.dumps({"version": 1.5, "envelopes": ["AAAA"]}).encode(), 400, "invalid_request"),
        ("POST", "/api/v1/roster", json.dumps({"version": 1, "envelopes": ["AAAA"] * 17}).encode(), 400, "invalid_request"),
        ("POST", "/api/v1/roster", json.dumps({"version": 1, "envelopes": ["AAAA"]}).encode(), 400, "invalid_envelope"),
        ("DELETE", "/api/v1/roster", b"", 405, "method_not_allowed"),
    ]
    for method, path, body, status, code in cases:
        answer = send(method, path, body)
        assert (answer.status_code, answer.json()["error"]) == (status, code), (method, path, body[:60])
    answer = httpx.get(server.url + "/api/v1/roster")
    assert (answer.status_code, answer.json()["error"]) == (401, "unauthenticated")
    assert server.query("SELECT COUNT(*) FROM roster_keys") == [(0,)]


def test_the_database_never_holds_a_childs_name(server):
    dsl, staff = server.enrolled("dsl"), server.enrolled("staff")
    dsl_key, staff_key = with_roster_key(dsl), with_roster_key(staff)
    keys = [public_bytes(k.public_key()) for k in (dsl_key, staff_key)]
    dsl.publish_roster(1, dsl.seal_roster(roster_content(1), keys))
    assert json.loads(staff.open_roster(staff_key).content)["children"][0]["name"] == "Zephyrine Quillfeather"
    stored = server.stored()
    assert str(server.demo_school_id()).encode() in stored  # what it searches holds the database's rows
    for secret in (b"Zephyrine", b"Quillfeather", b"Oddlestone", b"A123456789012", b"2017-03-04", "Zephyrine".encode("utf-16-le")):
        assert secret not in stored


def another_school(server):
    """A second school on the same server, with its own trust key, DSL and signed keyring."""
    trust = keyfiles.new_key()
    db = server.db()
    try:
        school = schools.create_school(db, "Hill Top Primary", public_bytes(trust.public_key()))
        schools.add_person(db, school, "Asha (DSL)", "dsl", public_bytes(keyfiles.new_key().public_key()))
        keyrings.publish(db, school, keyring.sign(keyrings.draft(db, school), trust))
    finally:
        db.close()
    return school


def test_nothing_crosses_between_schools(server):
    """Another school's DSL cannot reach this school's devices, nor see them, nor be reached from here."""
    dsl, staff = server.enrolled("dsl"), server.enrolled("staff")
    staff_key = with_roster_key(staff)
    other = server.enrolled("dsl", another_school(server))
    other_key = with_roster_key(other)

    # Sealed by the other school's DSL to this school's staff key: stored for nobody.
    sealed = other.seal_roster(roster_content(1), [public_bytes(staff_key.public_key()), public_bytes(other_key.public_key())])
    assert other.publish_roster(1, sealed).stored == 1  # its own key only
    assert refused(staff.roster).code == "no_roster"
    # Each school's version and missing list are its own.
    assert [k.key_id for k in other.roster_missing().keys] == []
    missing = dsl.roster_missing()
    assert missing.version == 0 and [k.key_id for k in missing.keys] == [key_id(staff_key.public_key()).hex()]
    dsl.publish_roster(1, dsl.seal_roster(roster_content(1), [public_bytes(staff_key.public_key())]))
    assert json.loads(staff.open_roster(staff_key).content)["version"] == 1
    assert other.roster().author_public_key == public_bytes(other.device.public_key())


def test_a_revoked_device_drops_out_of_the_missing_list(server):
    dsl, kept, lost = server.enrolled("dsl"), server.enrolled("staff"), server.enrolled("staff")
    kept_key, lost_key = with_roster_key(kept), with_roster_key(lost)
    db = server.db()
    try:
        devices.revoke(db, key_id(lost.device.public_key()).hex())
    finally:
        db.close()
    assert [k.key_id for k in dsl.roster_missing().keys] == [key_id(kept_key.public_key()).hex()]
    # Sealed to both anyway (the DSL's list was older): the revoked device's key is left out.
    sealed = dsl.seal_roster(roster_content(1), [public_bytes(k.public_key()) for k in (kept_key, lost_key)])
    assert dsl.publish_roster(1, sealed).stored == 1
    assert refused(lost.roster).code == "device_revoked"
