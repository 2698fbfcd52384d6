"""A hostile server on the wire against sync/client.py as a reader and as an author: the proxy
(tests/hostile/proxy.py) injects, replays, reorders, alters and drops envelopes, lies about the device
behind a note and about whether a note was opened. The client reports each, reads the rest, and never
believes what only the server says.

Each lie is a counted rule (`Lie`), and each test shows the same reading with no lie told first.
"""

from __future__ import annotations

import os

import msgspec
import pytest

from sync import envelope, keyfiles, wire
from sync.client import gaps_in
from sync.gaps import Gap
from sync.ids import uuid7
from tests.hostile.proxy import Exchange, Lie, json_body, set_json
from tests.test_hostile_keyrings import enrolled_through
from tests.conftest import BOTH_DATABASES

pytestmark = BOTH_DATABASES  # the server suite: on SQLite and on PostgreSQL

PULL = "/api/v1/envelopes"


def note(n: int, *, person_id=None) -> bytes:
    """A record as JSON, which the client numbers when it seals it."""
    record = {"type": "concern", "v": 3, "recorded_at": "2026-12-02T09:00:00Z", "child": {"name": f"Child {n}"},
              "words": f"note {n}", "categories": ["neglect"]}
    if person_id is not None:
        record["author"] = {"person_id": str(person_id), "name": "As named"}
    return msgspec.json.encode(record)


def pulled(fn):
    """A rule over the envelopes of a pull answer: fn(list) -> list."""
    def rule(ex: Exchange) -> None:
        page = json_body(ex, wire.PullResponse)
        set_json(ex, msgspec.structs.replace(page, envelopes=fn(list(page.envelopes))))
    return Lie(rule)


@pytest.fixture
def school(server, hostile):
    """A member of staff who has sent three notes, and the DSL reading through the proxy."""
    staff = server.enrolled("staff")
    sent = [staff.seal(note(n)) for n in (1, 2, 3)]
    staff.push(sent)
    dsl = enrolled_through(hostile, server, "dsl")
    key = server.demo_key("dsl")
    honest = dsl.read_all(key)
    assert [r.opened.header.record_id for r in honest] == [envelope.parse(e).record_id for e in sent]
    assert [r.number for r in honest] == [1, 2, 3] and gaps_in(honest) == []
    return staff, sent, dsl, key


def test_a_dropped_note_is_found_as_a_gap_between_the_notes_either_side(school, hostile):
    staff, sent, dsl, key = school
    lie = pulled(lambda envelopes: [envelopes[0], envelopes[2]])
    hostile.rule("GET", PULL, lie)
    reads = dsl.read_all(key)
    assert lie.told >= 1 and len(reads) == 2
    ids = [envelope.parse(e).record_id for e in sent]
    assert gaps_in(reads) == [Gap(envelope.key_id(staff.device.public_key()), 2, 2, ids[0], ids[2])]


def test_a_replayed_envelope_is_one_record_and_a_reordered_pull_misses_nothing(school, hostile):
    staff, sent, dsl, key = school
    lie = pulled(lambda envelopes: [*reversed(envelopes), wire.PulledEnvelope(seq=99, data=envelopes[0].data)])
    hostile.rule("GET", PULL, lie)
    reads = dsl.read_all(key)
    assert lie.told >= 1
    assert sorted(r.number for r in reads) == [1, 2, 3] and all(r.refused is None for r in reads)
    assert gaps_in(reads) == []


def test_one_altered_envelope_is_reported_and_the_urgent_one_after_it_still_opens(school, hostile, server):
    staff, sent, dsl, key = school
    urgent = staff.seal(note(4), urgent=True)
    staff.push([urgent])

    def flip(envelopes):
        data = bytearray(envelopes[0].data)
        data[-100] ^= 1  # in the ciphertext: the signature no longer verifies
        return [wire.PulledEnvelope(envelopes[0].seq, bytes(data)), *envelopes[1:]]

    lie = pulled(flip)
    hostile.rule("GET", PULL, lie)
    reads = dsl.read_all(key)
    assert lie.told >= 1
    assert [r.refused for r in reads] == ["bad_signature", None, None, None]
    assert reads[-1].urgent and reads[-1].opened.header.record_id == envelope.parse(urgent).record_id
    # The altered one is still a record the reader knows it lacks: the others name numbers 2 to 4.
    assert [r.number for r in reads[1:]] == [2, 3, 4]


def test_another_schools_envelope_with_a_device_the_server_vouches_for_is_refused(school, hostile):
    staff, sent, dsl, key = school
    stranger = keyfiles.new_key()
    foreign = envelope.seal(note(9), school_id=uuid7(), record_id=uuid7(), recipients=[key.public_key()], author=stranger)
    stranger_id = envelope.key_id(stranger.public_key())
    vouch = Lie(lambda ex: (setattr(ex, "status", 200), set_json(ex, wire.DeviceKey(
        key_id=stranger_id.hex(), public_key=envelope.public_bytes(stranger.public_key()),
        person_id=uuid7(), name="Another school's device"))))
    hostile.answer("GET", f"/api/v1/devices/{stranger_id.hex()}", vouch)
    inject = pulled(lambda envelopes: [*envelopes, wire.PulledEnvelope(seq=100, data=foreign)])
    hostile.rule("GET", PULL, inject)
    reads = dsl.read_all(key)
    assert vouch.told == 1 and inject.told >= 1
    assert [r.refused for r in reads] == [None, None, None, "wrong_school"]


def test_a_device_the_server_puts_behind_a_note_in_another_persons_name_is_shown(server, hostile):
    staff = server.enrolled("staff")
    dsl = enrolled_through(hostile, server, "dsl")
    staff_id = envelope.key_id(staff.device.public_key())
    me = dsl.lookup_device(staff_id)
    staff.push([staff.seal(note(1, person_id=me.person_id))])
    honest = dsl.read_all(server.demo_key("dsl"))
    assert [(r.refused, r.author_mismatch) for r in honest] == [(None, False)]

    other_person = uuid7()
    lie = Lie(lambda ex: set_json(ex, msgspec.structs.replace(json_body(ex, wire.DeviceKey), person_id=other_person, name="Head")))
    hostile.rule("GET", f"/api/v1/devices/{staff_id.hex()}", lie)
    fresh = enrolled_through(hostile, server, "dsl")  # asks for the device again
    (read,) = fresh.read_all(server.demo_key("dsl"))
    assert lie.told == 1 and read.author_mismatch and read.signer.person_id == other_person


def test_opened_is_believed_only_on_proof(server, hostile):
    staff = enrolled_through(hostile, server, "staff")
    data = staff.seal(note(1))
    record_id = envelope.parse(data).record_id
    staff.push([data])
    assert staff.status([record_id])[record_id].opened is False

    forged = Lie(lambda ex: set_json(ex, wire.StatusResponse(statuses=[msgspec.structs.replace(
        s, opened=True, proofs=[os.urandom(32)]) for s in json_body(ex, wire.StatusResponse).statuses])))
    hostile.rule("POST", "/api/v1/status", forged, times=1)
    said = staff.status([record_id])[record_id]
    assert forged.told == 1 and said.server_says_opened and not said.opened

    dsl = server.enrolled("dsl")
    dsl.acknowledge(dsl.open_all(server.demo_key("dsl")))
    said = staff.status([record_id])[record_id]
    assert said.opened and said.server_says_opened
