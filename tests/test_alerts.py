"""Urgent alerts in process: server/alerts.py over a real SQLite file, real pushes to the local push
service (tests/pushservice.py), and a fake clock, so that escalation, backoff and restarts are tested
in microseconds of test time and never with sleeps."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from server import alerts, devices, envelopes, escalation, keyrings, recipient_keys, schools, subscriptions, webpush
from server.alert_worker import InlineSender
from server.db import Db, open_database
from server.devices import Device
from server.errors import Refused
from sync import codes, envelope, keyfiles, keyring, requests, wire
from sync.ids import uuid7
from sync.signing import public_bytes
from tests.conftest import free_port
from tests.pushservice import PushService, Subscription

ALLOWED_KEYS = {"type", "alert_id", "record_id"}
SECRET = b"Child said: he burns me with a lighter (unique-marker-93c1)"


class FakeClock:
    def __init__(self) -> None:
        self.t = 1_900_000_000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


@dataclass
class Member:
    device: Device
    key: object
    sub: Subscription | None


@dataclass
class School:
    """A school with a whole team, each with one subscribed device, and a member of staff."""

    db: Db
    path: Path
    id: uuid.UUID
    trust: object
    recipient_keys: dict[str, object]
    team: dict[str, Member] = field(default_factory=dict)
    staff: Member | None = None

    def enrol(self, role: str, person_id: uuid.UUID) -> tuple[Device, object]:
        key = keyfiles.new_key()
        code = devices.issue_code(self.db, person_id)
        _, _, key_id = devices.enrol(
            self.db, code.token_text(), public_bytes(key.public_key()), requests.enrol_proof(key, code.token()), role,
            codes.approval(code.secret, public_bytes(key.public_key())),
        )
        return Device(key_id=key_id, school_id=self.id, person_id=person_id, role=role, public_key=public_bytes(key.public_key())), key

    def seal(self, *roles: str, urgent: bool = True, content: bytes = SECRET) -> bytes:
        return envelope.seal(
            content, school_id=self.id, record_id=uuid7(), urgent=urgent, author=self.staff.key,
            recipients=[self.recipient_keys[r].public_key() for r in roles],
        )


@pytest.fixture
def service():
    with PushService() as running:
        yield running


@pytest.fixture
def clock():
    return FakeClock()


def make_school(path: Path, service: PushService) -> School:
    db = open_database(path)
    trust = keyfiles.new_key()
    school_id = schools.create_school(db, "Alert Test School", public_bytes(trust.public_key()))
    school = School(db, path, school_id, trust, {})
    people = {}
    for role in ("dsl", "deputy_dsl", "headteacher", "chair_of_governors"):
        key = keyfiles.new_key()
        school.recipient_keys[role] = key
        people[role] = schools.add_person(db, school_id, f"Test {role}", role, public_bytes(key.public_key()))
    keyrings.publish(db, school_id, keyring.sign(keyrings.draft(db, school_id), trust))
    for role, person_id in people.items():
        device, key = school.enrol(role, person_id)
        sub = service.new_subscription()
        subscriptions.subscribe(db, device, sub.wire(), allow_http=True)
        school.team[role] = Member(device, key, sub)
    staff_device, staff_key = school.enrol("staff", schools.add_person(db, school_id, "Test staff", "staff"))
    school.staff = Member(staff_device, staff_key, None)
    return school


@pytest.fixture
def school(tmp_path, service):
    made = make_school(tmp_path / "lantern.db", service)
    yield made
    made.db.close()


@pytest.fixture
def sender(tmp_path, school, clock):
    vapid = webpush.load_or_create_key(tmp_path / "vapid-private.pem")
    return InlineSender(school.db, webpush.Poster(vapid, "mailto:alerts-test@example.org", clock=clock), clock=clock)


def push(school: School, data: bytes, sender, clock) -> str:
    """Stores the envelope as the staff device would; returns the alert id (or '' for none)."""
    stored = envelopes.push(school.db, school.staff.device, [data], sender=sender, clock=clock)[0]
    return stored.alert.alert_id if stored.alert else ""


def pushes(service: PushService, school: School) -> dict[str, int]:
    """How many pushes each team role's device has received so far."""
    return {role: len(service.received(m.sub)) for role, m in school.team.items()}


def events(school: School, alert_id: str) -> list[tuple]:
    with school.db.read() as s:
        return s.execute(
            "SELECT kind, step, device_key_id, status, detail, at FROM alert_events WHERE alert_id = ? ORDER BY id",
            [alert_id],
        ).fetchall()


def kinds(school: School, alert_id: str) -> list[str]:
    return [e[0] for e in events(school, alert_id)]


# The server keeps a receipt's proof unread (it has no content key to check it with): any 32 bytes do here.
PROOF = bytes(range(32))


def receipt(record_id: uuid.UUID) -> wire.Receipt:
    return wire.Receipt(record_id=record_id, proof=PROOF)


def test_an_urgent_note_pushes_its_readers_with_ids_only(school, service, sender, clock):
    data = school.seal("dsl", "deputy_dsl")
    alert_id = push(school, data, sender, clock)
    assert pushes(service, school) == {"dsl": 1, "deputy_dsl": 1, "headteacher": 0, "chair_of_governors": 0}
    record_id = str(envelope.parse(data).record_id)
    for got in service.received():
        assert set(got.json()) == ALLOWED_KEYS
        assert got.json() == {"type": "urgent", "alert_id": alert_id, "record_id": record_id}
        assert b"unique-marker" not in got.payload and b"lighter" not in got.payload
        assert (got.urgency, got.ttl, got.content_encoding) == ("high", str(webpush.TTL_SECONDS), "aes128gcm")
        assert got.claims["sub"] == "mailto:alerts-test@example.org"
    assert service.refused() == []
    assert kinds(school, alert_id) == ["created", "queued", "queued", "posted", "delivered", "posted", "delivered", "durable"]
    # Nothing personal in the audit trail: no words of the note, no name, no endpoint.
    with school.db.read() as s:
        trail = repr(s.execute("SELECT * FROM alert_events").fetchall())
    assert "lighter" not in trail and "Test " not in trail and service.origin not in trail


def test_a_note_that_is_not_urgent_alerts_nobody(school, service, sender, clock):
    assert push(school, school.seal("dsl", "deputy_dsl", urgent=False), sender, clock) == ""
    clock.advance(3600)
    alerts.run_due(school.db, sender, clock())
    assert service.received() == []
    with school.db.read() as s:
        assert s.execute("SELECT COUNT(*) FROM alerts").fetchone() == (0,)


def test_escalation_repeats_widens_to_the_headteacher_and_stops_when_opened(school, service, sender, clock):
    data = school.seal("dsl", "deputy_dsl")
    alert_id = push(school, data, sender, clock)
    start = clock()
    clock.advance(119)
    assert alerts.run_due(school.db, sender, clock()) == 0
    assert pushes(service, school)["dsl"] == 1
    clock.advance(1)  # 120 s: the readers again
    assert alerts.due_alerts(school.db, clock()) == [alert_id]
    alerts.run_due(school.db, sender, clock())
    assert pushes(service, school) == {"dsl": 2, "deputy_dsl": 2, "headteacher": 0, "chair_of_governors": 0}
    clock.advance(180)  # 300 s: and the headteacher
    alerts.run_due(school.db, sender, clock())
    assert pushes(service, school) == {"dsl": 3, "deputy_dsl": 3, "headteacher": 1, "chair_of_governors": 0}
    clock.advance(300)  # 600 s: the last step repeats
    alerts.run_due(school.db, sender, clock())
    assert pushes(service, school) == {"dsl": 4, "deputy_dsl": 4, "headteacher": 2, "chair_of_governors": 0}
    assert all(set(r.json()) == ALLOWED_KEYS and r.json()["alert_id"] == alert_id for r in service.received())

    # The deputy opens the note: its receipt acknowledges the alert, and the author sees "opened".
    record_id = envelope.parse(data).record_id
    envelopes.record_receipts(school.db, school.team["deputy_dsl"].device, [receipt(record_id)], clock=clock)
    assert envelopes.statuses(school.db, school.staff.device, [record_id])[record_id] == (True, True, "delivered", True, [PROOF])
    for _ in range(30):  # an hour of ticks later, nothing more
        clock.advance(120)
        alerts.run_due(school.db, sender, clock())
    assert pushes(service, school) == {"dsl": 4, "deputy_dsl": 4, "headteacher": 2, "chair_of_governors": 0}
    assert alerts.due_alerts(school.db, clock()) == []

    trail = events(school, alert_id)
    steps = [(e[1], e[4]) for e in trail if e[0] in ("created", "escalated")]
    assert steps == [
        (0, "2 devices: dsl, deputy_dsl"),
        (1, "2 devices: dsl, deputy_dsl"),
        (2, "3 devices: dsl, deputy_dsl, headteacher"),
        (3, "3 devices: dsl, deputy_dsl, headteacher"),
    ]
    acknowledged = [e for e in trail if e[0] == "acknowledged"]
    assert len(acknowledged) == 1 and acknowledged[0][2] == school.team["deputy_dsl"].device.key_id
    assert acknowledged[0][5] == start + 600
    assert trail[-1][0] == "acknowledged"
    # A second receipt (the DSL opens it too) changes nothing in the trail.
    envelopes.record_receipts(school.db, school.team["dsl"].device, [receipt(record_id)], clock=clock)
    assert events(school, alert_id) == trail


def test_an_allegation_is_repeated_to_its_own_reader_and_never_widened(school, service, sender, clock):
    """Sealed to the chair alone (an allegation about the headteacher): the headteacher, its possible
    subject, must not learn that an urgent note exists, whatever the policy says."""
    alert_id = push(school, school.seal("chair_of_governors"), sender, clock)
    for _ in range(12):
        clock.advance(300)
        alerts.run_due(school.db, sender, clock())
    got = pushes(service, school)
    assert got["headteacher"] == got["dsl"] == got["deputy_dsl"] == 0
    assert got["chair_of_governors"] >= 10
    assert "not widened" in events(school, alert_id)[0][4]


def test_the_schools_policy_sets_the_timings_and_an_alert_keeps_the_one_it_started_with(school, service, sender, clock):
    escalation.set_policy(school.db, school.id, escalation.parse("0:dsl;30:dsl,deputy_dsl,headteacher", repeat_every=0, stop_after=600))
    first = push(school, school.seal("dsl", "deputy_dsl"), sender, clock)
    assert pushes(service, school) == {"dsl": 1, "deputy_dsl": 0, "headteacher": 0, "chair_of_governors": 0}
    escalation.set_policy(school.db, school.id, escalation.DEFAULT)
    clock.advance(30)
    alerts.run_due(school.db, sender, clock())
    assert pushes(service, school) == {"dsl": 2, "deputy_dsl": 1, "headteacher": 1, "chair_of_governors": 0}
    assert "ended" in kinds(school, first)  # no repeat: the schedule ends unacknowledged
    clock.advance(3600)
    alerts.run_due(school.db, sender, clock())
    assert pushes(service, school)["dsl"] == 2


def test_404_and_410_remove_the_subscription(school, service, sender, clock):
    service.answer(school.team["dsl"].sub, 404)
    service.forget(school.team["deputy_dsl"].sub)  # the browser unsubscribed: 410 Gone
    alert_id = push(school, school.seal("dsl", "deputy_dsl"), sender, clock)
    for role in ("dsl", "deputy_dsl"):
        assert not subscriptions.is_subscribed(school.db, school.team[role].device.key_id)
    assert subscriptions.is_subscribed(school.db, school.team["headteacher"].device.key_id)
    pruned = [(e[2], e[3]) for e in events(school, alert_id) if e[0] == "pruned"]
    assert sorted(pruned) == sorted([(school.team["dsl"].device.key_id, 404), (school.team["deputy_dsl"].device.key_id, 410)])
    clock.advance(120)
    alerts.run_due(school.db, sender, clock())
    assert [e[4] for e in events(school, alert_id) if e[0] == "escalated"] == ["0 devices: dsl, deputy_dsl"]
    assert len(service.received(school.team["dsl"].sub)) == 1


def test_429_and_500_are_retried_with_backoff_and_recorded(school, service, sender, clock):
    dsl = school.team["dsl"]
    service.answer(dsl.sub, 500, (429, "10"), 201)
    alert_id = push(school, school.seal("dsl", "deputy_dsl"), sender, clock)
    start = clock()
    assert len(service.received(dsl.sub)) == 1
    clock.advance(1.5)
    alerts.run_due(school.db, sender, clock())
    assert len(service.received(dsl.sub)) == 1  # backoff after attempt 1: 2 s
    clock.advance(0.5)
    alerts.run_due(school.db, sender, clock())
    assert len(service.received(dsl.sub)) == 2  # answered 429, Retry-After: 10 (longer than 4 s)
    clock.advance(9.5)
    alerts.run_due(school.db, sender, clock())
    assert len(service.received(dsl.sub)) == 2
    clock.advance(0.5)
    alerts.run_due(school.db, sender, clock())
    assert len(service.received(dsl.sub)) == 3
    assert len(service.received(school.team["deputy_dsl"].sub)) == 1  # delivered at once, not retried

    mine = [(e[0], e[3], e[4], e[5] - start) for e in events(school, alert_id) if e[2] == dsl.device.key_id]
    assert mine == [
        ("queued", None, "", 0),
        ("posted", None, "attempt 1", 0),
        ("retry_scheduled", 500, "HTTP 500; attempt 2 in 2 s", 0),
        ("posted", None, "attempt 2", 2),
        ("retry_scheduled", 429, "HTTP 429; attempt 3 in 10 s", 2),
        ("posted", None, "attempt 3", 12),
        ("delivered", 201, "", 12),
    ]
    with school.db.read() as s:
        row = s.execute(
            "SELECT state, attempts, last_status FROM alert_deliveries WHERE device_key_id = ?", [dsl.device.key_id]
        ).fetchone()
    assert row == ("delivered", 3, 201)


def test_retries_give_up_after_six_attempts(school, service, sender, clock):
    dsl = school.team["dsl"]
    service.answer(dsl.sub, *[503] * 10)
    alert_id = push(school, school.seal("dsl", "deputy_dsl"), sender, clock)
    for _ in range(70):
        clock.advance(1)
        alerts.retry_due(school.db, sender, clock())
    assert len(service.received(dsl.sub)) == alerts.MAX_ATTEMPTS
    failed = [e for e in events(school, alert_id) if e[0] == "failed"]
    assert [(f[3], f[4]) for f in failed] == [(503, "HTTP 503; gave up after 6 attempts")]
    retries = [e[4] for e in events(school, alert_id) if e[0] == "retry_scheduled"]
    assert [r.split(" in ")[1] for r in retries] == ["2 s", "4 s", "8 s", "16 s", "32 s"]


def test_no_answer_is_retried_and_a_refusal_is_not(school, service, sender, clock):
    # The deputy's endpoint points at a port nobody listens on: no answer, retried.
    deputy = school.team["deputy_dsl"]
    dead = Subscription(deputy.sub.id, f"http://127.0.0.1:{free_port()}/push/{deputy.sub.id}", deputy.sub.private_key,
                        deputy.sub.auth)
    subscriptions.subscribe(school.db, deputy.device, dead.wire(), allow_http=True)
    service.answer(school.team["dsl"].sub, 403)  # a push service refusing our VAPID key
    alert_id = push(school, school.seal("dsl", "deputy_dsl"), sender, clock)
    outcomes = {(e[2], e[0], e[3]) for e in events(school, alert_id) if e[0] in ("retry_scheduled", "failed")}
    assert outcomes == {(deputy.device.key_id, "retry_scheduled", None), (school.team["dsl"].device.key_id, "failed", 403)}
    assert any("no answer (ConnectionError)" in e[4] for e in events(school, alert_id))


def test_an_acknowledgement_cancels_pending_retries(school, service, sender, clock):
    dsl = school.team["dsl"]
    service.answer(dsl.sub, 500)
    data = school.seal("dsl", "deputy_dsl")
    alert_id = push(school, data, sender, clock)
    envelopes.record_receipts(school.db, school.team["deputy_dsl"].device, [receipt(envelope.parse(data).record_id)], clock=clock)
    clock.advance(60)
    alerts.run_due(school.db, sender, clock())
    assert len(service.received(dsl.sub)) == 1
    assert "1 pending deliveries cancelled" in [e[4] for e in events(school, alert_id) if e[0] == "acknowledged"][0]


def test_a_revoked_device_gets_no_push(school, service, sender, clock):
    deputy = school.team["deputy_dsl"]
    assert devices.revoke(school.db, deputy.device.key_id)
    assert not subscriptions.is_subscribed(school.db, deputy.device.key_id)
    push(school, school.seal("dsl", "deputy_dsl"), sender, clock)
    assert pushes(service, school)["deputy_dsl"] == 0 and pushes(service, school)["dsl"] == 1


def test_the_author_is_never_pushed_about_their_own_note(school, service, sender, clock):
    """A DSL who writes an urgent note is among its readers, but their own device is not pushed."""
    dsl = school.team["dsl"]
    data = envelope.seal(SECRET, school_id=school.id, record_id=uuid7(), urgent=True, author=dsl.key,
                         recipients=[school.recipient_keys[r].public_key() for r in ("dsl", "deputy_dsl")])
    envelopes.push(school.db, dsl.device, [data], sender=sender, clock=clock)
    assert pushes(service, school) == {"dsl": 0, "deputy_dsl": 1, "headteacher": 0, "chair_of_governors": 0}


def test_the_schedule_survives_a_restart(school, service, sender, clock, tmp_path):
    """A note stored just before the server died (its pushes never sent), and another alert due while
    it was down: the next start sends both, once each, from what is in the file."""
    unsent = push(school, school.seal("dsl", "deputy_dsl"), None, clock)  # committed; the process dies
    assert service.received() == []
    clock.advance(1)
    earlier = push(school, school.seal("dsl", "deputy_dsl"), sender, clock)
    assert pushes(service, school)["dsl"] == 1
    school.db.close()

    clock.advance(1000)  # down for a quarter of an hour: steps 1, 2 and the first repeats were missed
    school.db = open_database(school.path)
    reopened = InlineSender(school.db, sender.poster, clock=clock)
    assert alerts.resume(school.db, clock()) == 2
    assert sorted(alerts.due_alerts(school.db, clock())) == sorted([unsent, earlier])
    alerts.run_due(school.db, reopened, clock())
    assert pushes(service, school) == {"dsl": 3, "deputy_dsl": 3, "headteacher": 2, "chair_of_governors": 0}
    by_alert = {}
    for r in service.received():
        by_alert.setdefault(r.json()["alert_id"], []).append(r)
    # The unsent step 0 is superseded by the step due now, which reaches the same devices.
    assert {a: len(r) for a, r in by_alert.items()} == {unsent: 3, earlier: 5}
    for alert_id in (unsent, earlier):
        escalated = [e for e in events(school, alert_id) if e[0] == "escalated"]
        assert len(escalated) == 1 and escalated[0][1] == 4  # straight to the step due now
        assert "3 overdue steps skipped" in escalated[0][4]
        assert "resumed" in kinds(school, alert_id)
    # Nothing is sent twice on the next ticks.
    clock.advance(1)
    alerts.run_due(school.db, reopened, clock())
    assert pushes(service, school) == {"dsl": 3, "deputy_dsl": 3, "headteacher": 2, "chair_of_governors": 0}


def test_the_audit_trail_is_append_only(school, sender, clock):
    alert_id = push(school, school.seal("dsl", "deputy_dsl"), sender, clock)
    con = sqlite3.connect(school.path)
    try:
        for statement in ("UPDATE alert_events SET kind = 'x'", "DELETE FROM alert_events"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                con.execute(statement)
    finally:
        con.close()
    assert len(events(school, alert_id)) == 8


def test_every_event_kind_is_documented():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "alerts.md").read_text()
    assert [k for k in alerts.EVENT_KINDS if f"`{k}`" not in doc] == []


# Subscriptions and the policy, refused with a clear reason


def test_only_the_team_subscribes(school, service):
    with pytest.raises(Refused) as raised:
        subscriptions.subscribe(school.db, school.staff.device, service.new_subscription().wire(), allow_http=True)
    assert raised.value.code == "not_team"


@pytest.mark.parametrize(("endpoint", "allow_http", "ok"), [
    ("https://fcm.googleapis.com/fcm/send/abc", False, True),
    ("https://web.push.apple.com:443/QGx", False, True),
    ("http://127.0.0.1:8080/push/1", True, True),
    ("http://127.0.0.1:8080/push/1", False, False),
    ("http://push.example.org/x", False, False),
    ("https://push.example.org:99999/x", False, False),
    ("https://push.example.org/x#fragment", False, False),
])
def test_endpoints_are_https_unless_the_server_allows_http(endpoint, allow_http, ok):
    if ok:
        subscriptions.check_endpoint(endpoint, allow_http)
    else:
        with pytest.raises(Refused) as raised:
            subscriptions.check_endpoint(endpoint, allow_http)
        assert raised.value.code == "invalid_subscription"


def test_resubscribing_replaces_and_an_endpoint_belongs_to_one_device(school, service, sender, clock):
    dsl, deputy = school.team["dsl"], school.team["deputy_dsl"]
    fresh = service.new_subscription()
    subscriptions.subscribe(school.db, dsl.device, fresh.wire(), allow_http=True)
    # The same browser enrolled again as the deputy's device: its endpoint moves, it is pushed once.
    subscriptions.subscribe(school.db, deputy.device, fresh.wire(), allow_http=True)
    push(school, school.seal("dsl", "deputy_dsl"), sender, clock)
    assert len(service.received(fresh)) == 1
    assert service.received(dsl.sub) == [] and service.received(deputy.sub) == []
    assert not subscriptions.is_subscribed(school.db, dsl.device.key_id)


@pytest.mark.parametrize(("steps", "repeat", "stop", "message"), [
    ("", 300, 7200, "1 to 10 steps"),
    ("60:dsl", 300, 7200, "first step must be at 0"),
    ("0:dsl;120:dsl;60:headteacher", 300, 7200, "must increase"),
    ("0:dsl,staff", 300, 7200, "staff: roles are"),
    ("0:", 300, 7200, "names no role"),
    ("0:dsl,dsl", 300, 7200, "names a role twice"),
    ("zero:dsl", 300, 7200, "SECONDS:ROLE"),
    ("0:dsl", 5, 7200, "--repeat-every"),
    ("0:dsl;600:headteacher", 300, 300, "--stop-after"),
])
def test_a_bad_policy_is_refused_with_a_reason(steps, repeat, stop, message):
    with pytest.raises(ValueError, match=message):
        escalation.parse(steps, repeat, stop)


def test_policy_offsets():
    p = escalation.DEFAULT
    assert [p.offset(i) for i in range(6)] == [0, 120, 300, 600, 900, 1200]
    assert p.offset(25) == 7200 and p.offset(26) is None
    assert p.roles(0) == ("dsl", "deputy_dsl") and p.roles(9) == ("dsl", "deputy_dsl", "headteacher")
    assert escalation.parse(p.text(), p.repeat_every, p.stop_after) == p


def test_a_concern_sealed_before_the_dsl_s_newest_key_still_widens(school, service, sender, clock):
    """An alert widens only for a note sealed to the whole concern team: by person, not by key, so
    a staff device that has not yet seen the DSL's new key (offline on a school trip) still counts."""
    dsl = school.team["dsl"]
    recipient_keys.register(school.db, dsl.device, public_bytes(keyfiles.new_key().public_key()))
    keyrings.publish(school.db, school.id, keyring.sign(keyrings.draft(school.db, school.id), school.trust))
    with school.db.read() as s:
        assert s.execute("SELECT COUNT(*) FROM recipients WHERE role = 'dsl'").fetchone() == (2,)

    data = school.seal("dsl", "deputy_dsl")  # the keyring before: the DSL's older key only
    alert_id = push(school, data, sender, clock)
    clock.advance(300)
    alerts.run_due(school.db, sender, clock())
    assert pushes(service, school)["headteacher"] == 1
    with school.db.read() as s:
        assert s.execute("SELECT widen FROM alerts WHERE id = ?", [alert_id]).fetchone() == (1,)

    # An allegation, to the headteacher alone, is still never widened.
    allegation = push(school, school.seal("headteacher"), sender, clock)
    with school.db.read() as s:
        assert s.execute("SELECT widen FROM alerts WHERE id = ?", [allegation]).fetchone() == (0,)
    # The DSL's device with the newest key opens it all the same: its person is a recipient.
    envelopes.record_receipts(school.db, dsl.device, [receipt(envelope.parse(data).record_id)], clock=clock)
    with school.db.read() as s:
        assert s.execute("SELECT acknowledged_by FROM alerts WHERE id = ?", [alert_id]).fetchone() == (dsl.device.key_id,)
