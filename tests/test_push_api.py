"""Urgent alerts through a real server process: Web Push to the local push service
(tests/pushservice.py), which checks the VAPID JWT and decrypts what it gets, the routes' refusals,
a restart that finds a push unsent, and the admin's view of the audit trail."""

from __future__ import annotations

import os
import subprocess
import time

import httpx
import msgspec
import pytest

from sync import envelope, wire
from sync.client import ApiError
from sync.requests import sign_request
from tests.conftest import BOTH_DATABASES, start_server, stop_server
from tests.pushservice import PushService, b64url
from tests.test_cli import LANTERN, lantern

pytestmark = BOTH_DATABASES  # the server suite: on SQLite and on PostgreSQL

MARKER = b"unique-marker-5d2e"
NOTE = b"Child said: my stepdad locked me out all night in the cold " + MARKER


@pytest.fixture
def service():
    with PushService() as running:
        yield running


def subscribed(server, service, role: str):
    client = server.enrolled(role)
    sub = service.new_subscription()
    assert client.subscribe_push(sub.wire()) == wire.SubscriptionState(subscribed=True)
    return client, sub



def wait_until(condition, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
    return result


def test_an_urgent_note_reaches_each_subscribed_reader_once_within_a_second(server, service):
    staff = server.enrolled("staff")
    service.server_key = staff.push_key()
    readers = [subscribed(server, service, r) for r in ("dsl", "dsl", "deputy_dsl")]
    _, head_sub = subscribed(server, service, "headteacher")  # widened to only after 300 s

    staff.push([staff.seal(b"not urgent")])
    note = staff.seal(NOTE, urgent=True)
    record_id = envelope.parse(note).record_id
    sent = time.time()
    staff.push([note])
    got = service.wait_for(lambda r: len(r) >= 3, timeout=2)
    assert max(r.at for r in got) - sent < 1.0

    # Exactly one push for each reader's device, nothing for the headteacher yet, and only for the
    # urgent note: the server queued no more than these three.
    (alert_id,) = [r[0] for r in server.query("SELECT id FROM alerts")]
    wait_until(lambda: server.query("SELECT state FROM alert_deliveries") == [("delivered",)] * 3)
    assert [len(service.received(sub)) for _, sub in readers] == [1, 1, 1]
    assert service.received(head_sub) == []
    assert service.refused() == []
    for r in service.received():
        assert r.json() == {"type": "urgent", "alert_id": alert_id, "record_id": str(record_id)}
        assert MARKER not in r.payload and b"stepdad" not in r.payload
        assert (r.urgency, r.ttl) == ("high", "3600")
        assert r.vapid_key == service.server_key
        assert r.claims["sub"] == "mailto:lantern@localhost" and r.claims["aud"] == service.origin

    # A reader opens it: the alert is acknowledged in the receipt's transaction, the author sees it.
    reader = readers[2][0]
    reader.acknowledge(o for o in reader.open_all(server.demo_key("deputy_dsl")) if o.header.record_id == record_id)
    assert staff.status([record_id])[record_id].opened
    (acknowledged,) = server.query("SELECT acknowledged_by, next_due FROM alerts")
    assert acknowledged == (envelope.key_id(readers[2][0].device.public_key()).hex(), None)
    kinds = [k for (k,) in server.query("SELECT kind FROM alert_events WHERE alert_id = ? ORDER BY id", alert_id)]
    assert sorted(kinds) == sorted(["created", "durable", "acknowledged"] + ["queued", "posted", "delivered"] * 3)
    assert kinds[0] == "created" and kinds[-1] == "acknowledged"

    # The admin's view: every step, ids and statuses only.
    shown = lantern(*server.admin, "alerts", "--school", str(server.demo_school_id())).stdout
    assert alert_id in shown and "acknowledged after" in shown
    assert shown.count(" queued ") == shown.count(" posted ") == shown.count(" delivered ") == 3
    assert service.origin not in shown and "stepdad" not in shown
    assert service.origin not in server.log.read_text()


def test_who_may_subscribe_and_what_a_subscription_must_be(server, service):
    staff = server.enrolled("staff")
    with pytest.raises(ApiError) as raised:
        staff.subscribe_push(service.new_subscription().wire())
    assert (raised.value.status, raised.value.code) == (403, "not_team")

    dsl = server.enrolled("dsl")
    good = service.new_subscription().json()
    off_curve = b64url(b"\x04" + bytes(64))
    bad = [
        ({**good, "keys": {**good["keys"], "p256dh": off_curve}}, "invalid_key"),
        ({**good, "keys": {**good["keys"], "auth": b64url(bytes(15))}}, "invalid_request"),
        ({**good, "keys": {"p256dh": good["keys"]["p256dh"]}}, "invalid_request"),
        ({**good, "endpoint": "ftp://push.example.org/x"}, "invalid_request"),
        ({**good, "endpoint": "https://user:pw@push.example.org/x"}, "invalid_request"),
        ({**good, "endpoint": "https://push.example.org/" + "x" * 2048}, "invalid_request"),
        ({**good, "endpoint": "https://push.example.org:0x50/x"}, "invalid_subscription"),
        ({**good, "extra": 1}, "invalid_request"),
    ]
    for body, code in bad:
        content = msgspec.json.encode(body)
        headers = {"content-type": "application/json",
                   **sign_request(dsl.device, "POST", "/api/v1/push/subscriptions", content)}
        answer = httpx.post(server.url + "/api/v1/push/subscriptions", content=content, headers=headers)
        assert (answer.status_code, answer.json()["error"]) == (400, code), body
        assert "Traceback" not in answer.text
    assert server.query("SELECT COUNT(*) FROM push_subscriptions") == [(0,)]
    assert httpx.post(server.url + "/api/v1/push/subscriptions", json=good).json()["error"] == "unauthenticated"
    # toJSON()'s own shape, expirationTime and all, is accepted.
    assert dsl.subscribe_push(msgspec.convert(good, wire.PushSubscription)).subscribed


def test_unsubscribing_and_subscribing_again(server, service):
    staff = server.enrolled("staff")
    dsl, first = subscribed(server, service, "dsl")
    _, deputy_sub = subscribed(server, service, "deputy_dsl")
    assert dsl.unsubscribe_push() == wire.SubscriptionState(subscribed=False)
    assert dsl.unsubscribe_push().subscribed is False  # twice is fine
    staff.push([staff.seal(b"urgent 1", urgent=True)])
    service.wait_for(lambda r: len(r) >= 1)
    assert [r.subscription_id for r in service.received()] == [deputy_sub.id]

    second, third = service.new_subscription(), service.new_subscription()
    dsl.subscribe_push(second.wire())
    dsl.subscribe_push(third.wire())  # replaces the second: one subscription per device
    staff.push([staff.seal(b"urgent 2", urgent=True)])
    service.wait_for(lambda r: len(r) >= 3)
    assert service.received(first) == service.received(second) == []
    assert len(service.received(third)) == 1


def test_a_push_cut_off_by_a_crash_is_sent_after_restart_with_the_same_vapid_key(tmp_path, service):
    data = tmp_path / "data"
    server = start_server(data)
    try:
        key_file = data / "vapid-private.pem"
        assert os.stat(key_file).st_mode & 0o777 == 0o600
        key_bytes = key_file.read_bytes()
        public = httpx.get(server.url + "/api/v1/push/key").json()["public_key"]
        assert len(public) == 87 and "=" not in public  # 65 bytes, base64url, unpadded
        service.server_key = public
        staff = server.enrolled("staff")
        _, sub = subscribed(server, service, "dsl")
        release = service.hold(sub)  # the push service takes the push and never answers...
        staff.push([staff.seal(b"urgent, then a crash", urgent=True)])
        service.wait_for(lambda r: len(r) == 1)
        server.process.kill()  # ...and the server dies before it learns what became of it
        server.process.wait()
        release.set()
        assert server.query("SELECT state FROM alert_deliveries") == [("queued",)]

        server = start_server(data, port=int(server.url.rsplit(":", 1)[1]))
        got = service.wait_for(lambda r: len(r) == 2)
        assert got[0].json() == got[1].json()  # the same alert, sent again from the file
        assert httpx.get(server.url + "/api/v1/push/key").json()["public_key"] == public
        assert key_file.read_bytes() == key_bytes and os.stat(key_file).st_mode & 0o777 == 0o600
        wait_until(lambda: server.query("SELECT state FROM alert_deliveries") == [("delivered",)])
        kinds = [k for (k,) in server.query("SELECT kind FROM alert_events ORDER BY id") if k != "durable"]
        assert kinds == ["created", "queued", "resumed", "posted", "delivered"]
        log = server.log.read_text()
        assert b"".join(key_bytes.splitlines()[1:-1]).decode()[:40] not in log.replace("\n", "")
        assert service.origin not in log
    finally:
        stop_server(server)


def test_the_escalation_policy_from_the_command_line(server):
    school = str(server.demo_school_id())
    admin = (*server.admin, "escalation")
    shown = lantern(*admin, "show", "--school", school).stdout
    assert "The default" in shown and "step 2 at   300 s: dsl, deputy_dsl, headteacher" in shown
    lantern(*admin, "set", "--school", school, "--steps", "0:dsl;60:dsl,deputy_dsl", "--repeat-every", "0")
    shown = lantern(*admin, "show", "--school", school).stdout
    assert '--steps "0:dsl;60:dsl,deputy_dsl" --repeat-every 0 --stop-after 7200' in shown
    refused = lantern(*admin, "set", "--school", school, "--steps", "30:dsl", ok=False)
    assert refused.returncode == 2 and "first step must be at 0" in refused.stderr and "Traceback" not in refused.stderr
    unknown = lantern(*admin, "show", "--school", "00000000-0000-7000-8000-000000000000", ok=False)
    assert unknown.returncode == 2 and "no such school" in unknown.stderr


def test_a_bad_vapid_subject_stops_the_server_at_start(tmp_path):
    result = subprocess.run(
        [LANTERN, "serve", "--data-dir", str(tmp_path / "data"), "--port", "1"],
        env={**os.environ, "LANTERN_VAPID_SUBJECT": "lantern@school"}, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2 and "LANTERN_VAPID_SUBJECT" in result.stderr


def test_the_author_learns_whether_an_urgent_note_alerted_anyone(server, service):
    staff = server.enrolled("staff")
    service.server_key = staff.push_key()
    plain, nobody = staff.seal(b"not urgent"), staff.seal(NOTE, urgent=True)
    staff.push([plain, nobody])
    ids = [envelope.parse(e).record_id for e in (plain, nobody)]
    wait_until(lambda: staff.status(ids)[ids[1]].alert == "unreached")  # no team device subscribed
    assert staff.status(ids)[ids[0]].alert is None

    subscribed(server, service, "dsl")
    reached = staff.seal(NOTE, urgent=True)
    staff.push([reached])
    rid = envelope.parse(reached).record_id
    service.wait_for(lambda r: len(r) >= 1, timeout=5)
    wait_until(lambda: staff.status([rid])[rid].alert == "delivered")
