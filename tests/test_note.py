"""sync/note.py: reading a record's content, versions 1 to 3 (docs/protocol.md, "Record content, version 3")."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from sync import note

FULL = {
    "v": 2, "type": "concern", "recorded_at": "2026-11-26T10:20:31.123Z",
    "child": {"name": "Sam Example"}, "incident_at": "2026-11-26T10:15", "place": "Playground",
    "people_present": "Ms Jones", "words": "He said \"don't tell\"", "seen": "A bruise", "action_taken": "Told the DSL",
    "categories": ["physical_abuse", "fgm", "other"], "category_other": "Something odd",
    "urgent": True,
    "fgm_report": {"reported": True, "police_reference": "PR-1"},
    "body_map": [
        {"side": "front", "x": 0.22, "y": 0.48, "type": "bruise", "size": "1_to_3cm", "colour": "purple",
         "description": "oval", "region": "right forearm"},
        {"side": "back", "x": 0, "y": 1, "type": "other"},
    ],
}


def encode(content: dict) -> bytes:
    return json.dumps(content).encode()


def test_a_full_concern_reads_back_every_field():
    n = note.read(encode(FULL))
    assert isinstance(n, note.Concern)
    assert (n.v, n.child.name, n.incident_at, n.place, n.people_present) == (
        2, "Sam Example", "2026-11-26T10:15", "Playground", "Ms Jones")
    assert (n.words, n.seen, n.action_taken, n.urgent) == ("He said \"don't tell\"", "A bruise", "Told the DSL", True)
    assert n.categories == ["physical_abuse", "fgm", "other"] and n.category_other == "Something odd"
    assert n.fgm_report == note.FgmReport(reported=True, police_reference="PR-1")
    assert n.about_staff is None
    assert n.body_map[0] == note.Mark(side="front", x=0.22, y=0.48, type="bruise", size="1_to_3cm", colour="purple",
                                      description="oval", region="right forearm")
    assert (n.body_map[1].size, n.body_map[1].colour, n.body_map[1].description) == ("", "", "")


def test_unknown_fields_and_values_are_ignored_not_refused():
    later = FULL | {"v": 3, "roster_id": "x", "categories": ["fgm", "other", "a_later_category"]}
    later["body_map"] = [FULL["body_map"][0] | {"type": "graze", "pressure": 3}]
    n = note.read(encode(later))
    assert n.v == 3 and n.categories == ["fgm", "other", "a_later_category"] and n.body_map[0].type == "graze"


def test_version_1_notes_still_read():
    v1 = {"v": 1, "type": "concern", "child": {"name": "Sam"}, "incident_at": "", "recorded_at": "2026-11-26T10:00:00Z",
          "words": "", "seen": "", "urgent": False}
    n = note.read(encode(v1))
    assert n.v == 1 and n.categories == [] and n.body_map == [] and n.place == ""


def test_each_note_names_its_author_and_notes_from_before_profiles_read_without_one():
    person = uuid.uuid4()
    author = {"person_id": str(person), "name": "Ms Example"}
    n = note.read(encode({**FULL, "author": author}))
    assert n.author == note.Author(person_id=person, name="Ms Example")
    added = note.read(encode({"v": 2, "type": "addendum", "refers_to": str(uuid.uuid4()), "author": author,
                              "recorded_at": "2026-11-26T11:00:00Z", "text": "More"}))
    assert added.author.person_id == person
    assert note.read(encode(FULL)).author is None


def test_an_addendum():
    ref = uuid.uuid4()
    n = note.read(encode({"v": 2, "type": "addendum", "refers_to": str(ref), "recorded_at": "2026-11-26T11:00:00Z",
                          "text": "Police reference PR-2", "urgent": False}))
    assert isinstance(n, note.Addendum) and n.refers_to == ref and n.text == "Police reference PR-2"


def test_an_allegation_names_its_subject():
    pid = uuid.uuid4()
    n = note.read(encode(FULL | {"about_staff": {"headteacher": True, "name": "Head", "person_id": str(pid)}}))
    assert n.about_staff == note.AboutStaff(headteacher=True, name="Head", person_id=pid)


@pytest.mark.parametrize("content, code", [
    (b"not json", "malformed"),
    (b"[]", "malformed"),
    (encode({"v": 2, "type": "decision", "recorded_at": "2026-11-26T10:00:00Z"}), "unknown_type"),
    (encode(FULL | {"v": 0}), "malformed"),
    (encode(FULL | {"urgent": "yes"}), "malformed"),  # a field never changes type
    (encode(FULL | {"body_map": [{"side": "left", "x": 0.5, "y": 0.5, "type": "cut"}]}), "malformed"),
    (encode(FULL | {"body_map": [{"side": "front", "x": 1.5, "y": 0.5, "type": "cut"}]}), "malformed"),
    (encode({k: v for k, v in FULL.items() if k != "child"}), "malformed"),
    (encode({"v": 2, "type": "addendum", "refers_to": "not-a-uuid", "recorded_at": "2026-11-26T10:00:00Z", "text": "x"}),
     "malformed"),
])
def test_what_is_not_a_note_is_refused(content, code):
    with pytest.raises(note.NoteError) as raised:
        note.read(content)
    assert raised.value.code == code


@pytest.mark.parametrize("change, problem", [
    ({"child": {"name": "  "}}, "child's name"),
    ({"words": "", "seen": " "}, "neither what was said"),
    ({"categories": []}, "no category"),
    ({"category_other": ""}, "'other' ticked"),
    ({"categories": ["neglect"]}, "FGM"),  # a police report with no FGM concern
    ({"about_staff": {"headteacher": False}}, "names no member of staff"),
    ({"body_map": [{"side": "front", "x": 0.5, "y": 0.5, "type": ""}]}, "mark 1 has no type"),
    ({"recorded_at": "yesterday"}, "recorded_at"),
])
def test_an_incomplete_concern_is_refused(change, problem):
    with pytest.raises(note.NoteError) as raised:
        note.read(encode(FULL | change))
    assert raised.value.code == "incomplete" and problem in raised.value.detail


def test_an_fgm_concern_without_its_report_is_incomplete():
    without = {k: v for k, v in FULL.items() if k != "fgm_report"}
    with pytest.raises(note.NoteError, match="FGM"):
        note.read(encode(without))


def test_an_empty_addendum_is_incomplete():
    with pytest.raises(note.NoteError, match="incomplete"):
        note.read(encode({"v": 2, "type": "addendum", "refers_to": str(uuid.uuid4()),
                          "recorded_at": "2026-11-26T10:00:00Z", "text": " "}))


def test_the_lists_match_the_staff_app():
    pwa = Path(__file__).resolve().parent.parent / "pwa" / "common"
    categories = re.findall(r'code: "([a-z_0-9]+)"', (pwa / "categories.js").read_text())
    assert tuple(categories) == note.CATEGORIES
    bodymap = (pwa / "bodymap.js").read_text()
    types = re.findall(r'code: "([a-z_0-9]+)", label', bodymap.split("MARK_SIZES")[0])
    sizes = re.findall(r'code: "([a-z_0-9]+)", label', bodymap.split("MARK_SIZES")[1].split("COLOUR_SUGGESTIONS")[0])
    assert tuple(types) == note.MARK_TYPES and tuple(sizes) == note.MARK_SIZES


RECORDS = json.loads((Path(__file__).resolve().parent / "vectors" / "records.json").read_text())["cases"]


@pytest.mark.parametrize("vector", RECORDS, ids=[v["name"] for v in RECORDS])
def test_every_record_vector_reads_as_it_says(vector):
    content = bytes.fromhex(vector["content_hex"]) if "content_hex" in vector else json.dumps(vector["content"]).encode()
    try:
        note.read(content)
        answer = "ok"
    except note.NoteError as exc:
        answer = exc.code
    assert answer == vector["expect"]


def test_an_action_reads_back_what_it_records():
    [vector] = [v for v in RECORDS if v["name"] == "a phone referral"]
    action = note.read(json.dumps(vector["content"]).encode())
    assert isinstance(action, note.Action)
    assert (action.kind, action.whom, action.whom_name, action.reference) == ("phone_referral", "EHaSH front door", "Sam at EHaSH", "EH-123")
    assert action.at == "2026-12-01T21:50:00.000Z" and str(action.refers_to) == vector["content"]["refers_to"]
    assert action.child is None and action.links == [] and action.author.name == "Demo DSL"


def test_every_action_kind_has_a_vector():
    kinds = {v["content"].get("kind") for v in RECORDS if isinstance(v.get("content"), dict) and v["expect"] == "ok"}
    assert set(note.ACTION_KINDS) - kinds == set()
