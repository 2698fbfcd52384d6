"""Who may read a note (docs/protocol.md, "The keyring"), in Python, against the shared vectors that
tests/browser/test_concern_form.py runs through pwa/common/keyring.js; and the demo school's team."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import msgspec
import pytest

from server import demo, keyrings, schools
from server.db import open_database
from sync import keyring, note
from sync.signing import public_bytes

VECTORS = json.loads((Path(__file__).parent / "vectors" / "routing.json").read_text())
PEOPLE_OF = {name: [msgspec.convert(r, keyring.KeyringRecipient) for r in rs] for name, rs in VECTORS["keyrings"].items()}


def payload(recipients: list[keyring.KeyringRecipient]) -> keyring.KeyringPayload:
    return keyring.KeyringPayload(
        v=1, school_id=uuid.uuid4(), school_name="Test School", version=1, issued_at="2026-11-26T09:00:00Z",
        recipients=recipients, contacts=[],
    )


def route(p: keyring.KeyringPayload, r: dict) -> list[keyring.KeyringRecipient]:
    if r["kind"] == "concern":
        return keyring.concern_recipients(p)
    if r["kind"] == "allegation":
        subject = uuid.UUID(r["subjectPersonId"]) if r["subjectPersonId"] else None
        return keyring.allegation_recipients(p, about_headteacher=r["aboutHead"], subject_person_id=subject)
    return keyring.people_recipients(p, [uuid.UUID(i) for i in r["personIds"]])


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_routing_vectors(case):
    p = payload(PEOPLE_OF[case["keyring"]])
    assert [r.name for r in route(p, case["route"])] == case["expect"]


def test_vectors_cover_every_route_kind():
    assert {c["route"]["kind"] for c in VECTORS["cases"]} == {"concern", "allegation", "people"}


def test_an_allegation_never_reaches_its_subject_whatever_their_role():
    p = payload(PEOPLE_OF["full"])
    for subject in p.recipients:
        for about_head in (False, True):
            got = keyring.allegation_recipients(p, about_headteacher=about_head, subject_person_id=subject.person_id)
            assert subject.person_id not in {r.person_id for r in got}
            assert {r.role for r in got} <= {"headteacher", "chair_of_governors"}


def concern(**fields) -> note.Concern:
    base = {"v": 2, "type": "concern", "recorded_at": "2026-11-26T10:00:00Z", "child": {"name": "Sam"},
            "words": "w", "categories": ["neglect"]}
    return note.read(json.dumps(base | fields).encode())


def test_expected_recipients_follow_the_note():
    p = payload(PEOPLE_OF["full"])
    head = next(r for r in p.recipients if r.role == "headteacher")
    names = lambda rs: [r.name for r in rs]  # noqa: E731
    assert names(note.expected_recipients(p, concern())) == ["Dana DSL", "Dev Deputy", "Dee Deputy"]
    staff = concern(about_staff={"headteacher": False, "name": "A teacher"})
    assert names(note.expected_recipients(p, staff)) == ["Hal Head"]
    about_head = concern(about_staff={"headteacher": True, "name": head.name, "person_id": str(head.person_id)})
    assert names(note.expected_recipients(p, about_head)) == ["Cat Chair"]


def test_a_demo_school_from_before_gets_its_headteacher_and_chair(tmp_path, monkeypatch):
    """A demo directory made when the team was the DSL and deputy: the next start adds the headteacher
    and the chair, with DEMO-ONLY key files, in a new keyring version signed by the demo trust key."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = open_database(data_dir / "lantern.db")
    try:
        monkeypatch.setattr(demo, "DEMO_TEAM", demo.DEMO_TEAM[:2])
        school_id = demo.ensure_demo_school(db, data_dir)
        first = msgspec.json.decode(keyrings.current(db, school_id).payload, type=keyring.KeyringPayload)
        assert {r.role for r in first.recipients} == {"dsl", "deputy_dsl"}
        monkeypatch.undo()

        assert demo.ensure_demo_school(db, data_dir) == school_id
        trust = demo.load_demo_key(data_dir, "trust")
        school = schools.get_school(db, school_id)
        signed = keyrings.current(db, school_id)
        second = keyring.verify(signed, school["trust_public_key"], school_id)
        assert second.version == first.version + 1
        assert {r.role for r in second.recipients} == {"dsl", "deputy_dsl", "headteacher", "chair_of_governors"}
        for role in ("headteacher", "chair_of_governors"):
            key = demo.load_demo_key(data_dir, role)
            assert any(r.role == role and r.public_key == public_bytes(key.public_key()) for r in second.recipients)
        assert trust is not None

        demo.ensure_demo_school(db, data_dir)  # complete now: a third start changes nothing
        assert keyrings.current(db, school_id).payload == signed.payload
    finally:
        db.close()
